// A fresh database (PGlite in memory, or a new PostgreSQL database with TEST_DATABASE=postgres), local
// storage in a temporary folder, and the worker's services over both.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase } from "@data-engine/db/testing";
import { createLocalStorage, type Storage } from "@data-engine/storage";
import { createServices, type Env, type Services } from "../../src/services.ts";

export interface TestServices extends Services {
  cleanup(): Promise<void>;
}

export interface TestServicesOptions {
  /** The storage to use, given the local one in the test's temporary folder (default: that one). */
  storage?: (local: Storage) => Storage;
  retryLimit?: number;
  /** The queues' retry policy (default: `retryLimit` retries 1 s apart, no backoff, so tests stay short). */
  retry?: { limit?: number; delaySeconds?: number; backoff?: boolean };
  /** The settings the jobs read (S3_* for an S3 ingest source); default process.env. */
  env?: Env;
}

export async function createTestServices(options: TestServicesOptions = {}): Promise<TestServices> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "worker-test-"));
  const database = await createTestDatabase();
  const local = createLocalStorage({ root: path.join(dataDir, "files") });
  const services = await createServices({
    database,
    ownsDatabase: true,
    env: options.env,
    storage: options.storage ? options.storage(local) : local,
    dataDir,
    monitorIntervalSeconds: 1,
    retry: options.retry ?? { limit: options.retryLimit ?? 2, delaySeconds: 1, backoff: false },
  });
  return {
    ...services,
    async cleanup() {
      await services.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function createProject(services: Services, slug = "p1"): Promise<string> {
  const project = await services.prisma.project.create({ data: { name: slug, slug } });
  return project.id;
}

const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "DEAD"]);

export async function waitForJob(services: Services, jobId: string, timeoutMs = 45_000, statuses = FINAL) {
  const start = Date.now();
  for (;;) {
    const row = await services.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    if (statuses.has(row.status)) return row;
    if (Date.now() - start > timeoutMs) throw new Error(`job ${jobId} still ${row.status} after ${timeoutMs} ms (${row.progressMessage})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
