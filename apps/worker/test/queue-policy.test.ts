// The queue's policies as they act on real jobs: retries spaced by exponential backoff (as pg-boss
// schedules them), per-queue concurrency (jobs of one queue at once in one process), and the Job row's
// progress staying in step while jobs run.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Storage } from "@data-engine/storage";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { startWorkers, type StartWorkersOptions, type Workers } from "../src/queue/workers.ts";
import { createProject, createTestServices, waitForJob, type TestServices } from "./support/services.ts";
import { writeImages } from "./support/images.ts";

let services: TestServices;
let workers: Workers | undefined;
let folder: string;
/** When the storage's list() threw (a simulated outage), one entry per attempt. */
const outages: number[] = [];
let listBroken = false;
let putDelayMs = 0;

function faulty(local: Storage): Storage {
  return new Proxy(local, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === "list") {
        return (prefix: string) => {
          if (listBroken) {
            outages.push(Date.now());
            throw new Error("storage unavailable (simulated outage)");
          }
          return target.list(prefix);
        };
      }
      if (prop === "put") {
        return async (...args: Parameters<Storage["put"]>) => {
          await new Promise((r) => setTimeout(r, putDelayMs));
          return target.put(...args);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

beforeAll(async () => {
  // The product's policy shape (backoff on), with a 1 s base delay so the test stays short.
  services = await createTestServices({
    storage: faulty,
    retry: { limit: 2, delaySeconds: 1, backoff: true },
  });
  folder = await mkdtemp(path.join(tmpdir(), "queue-policy-"));
});
afterEach(async () => {
  await workers?.stop();
  workers = undefined;
  listBroken = false;
  putDelayMs = 0;
});
afterAll(async () => {
  await services?.cleanup();
  await rm(folder, { recursive: true, force: true });
});

const start = (options: StartWorkersOptions = {}) =>
  startWorkers(services, {
    log: () => undefined,
    pollingIntervalSeconds: 0.5,
    reconcileIntervalMs: 0,
    ...options,
  });

describe("retries", () => {
  it(
    "spaces retries by exponential backoff: 1-2 s after the first failure, 2-4 s after the second",
    { timeout: 60_000 },
    async () => {
      listBroken = true;
      const projectId = await createProject(services, "backoff");
      const job = await enqueueJob(services, {
        type: "INGEST",
        projectId,
        params: { source: { kind: "upload", prefix: "uploads/none/" } },
      });
      workers = await start();
      // pg-boss decides each retry's start time when the attempt fails: read it while the job waits.
      // Keyed by retryCount, which pg-boss counts up when it hands the job out again.
      const scheduled = new Map<number, number>();
      for (;;) {
        const [queued] = await services.queue.findJobs(job.queueName!, { id: job.queueJobId! });
        if (queued?.state === "retry") scheduled.set(queued.retryCount, queued.startAfter.getTime());
        const row = await services.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
        if (row.status === "DEAD") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(outages).toHaveLength(3);
      expect([...scheduled.keys()].sort()).toEqual([0, 1]);
      const delay1 = (scheduled.get(0)! - outages[0]!) / 1000;
      const delay2 = (scheduled.get(1)! - outages[1]!) / 1000;
      // Base delay d = 1 s: retry k waits d * 2^k / 2 * (1 + random), i.e. [1, 2) then [2, 4) seconds
      // (plus the few ms between the outage and the failure being recorded).
      expect(delay1).toBeGreaterThanOrEqual(1);
      expect(delay1).toBeLessThan(2.5);
      expect(delay2).toBeGreaterThanOrEqual(2);
      expect(delay2).toBeLessThan(4.5);
      // No attempt ran before its scheduled time.
      expect(outages[1]!).toBeGreaterThanOrEqual(scheduled.get(0)! - 50);
      expect(outages[2]!).toBeGreaterThanOrEqual(scheduled.get(1)! - 50);
    },
  );
});

describe("per-queue concurrency", () => {
  /** Runs three slow ingest jobs and returns the most jobs seen running at once (worker and rows). */
  async function peakConcurrency(slug: string, options: StartWorkersOptions) {
    const jobs = [];
    for (let i = 0; i < 3; i++) {
      // A project per job: the test images of two jobs would be duplicates of each other in one project.
      const projectId = await createProject(services, `${slug}-${i}`);
      const dir = path.join(folder, `${slug}-${i}`);
      await writeImages(dir, 4, `${slug}${i}`);
      jobs.push(
        await enqueueJob(services, {
          type: "INGEST",
          projectId,
          params: { source: { kind: "folder", path: dir } },
        }),
      );
    }
    putDelayMs = 120;
    workers = await start(options);
    let peakHandlers = 0;
    let peakRows = 0;
    const progress = new Map<string, number[]>();
    for (;;) {
      peakHandlers = Math.max(peakHandlers, workers.running());
      const rows = await services.prisma.job.findMany({ where: { id: { in: jobs.map((j) => j.id) } } });
      const runningRows = rows.filter((r) => r.status === "RUNNING");
      peakRows = Math.max(peakRows, runningRows.length);
      for (const r of runningRows) {
        // While running, progress stays within 0-99 with a message saying where the job is.
        expect(r.progress).toBeGreaterThanOrEqual(0);
        expect(r.progress).toBeLessThanOrEqual(99);
        expect(r.progressMessage).toMatch(/^(started|importing \d\/4 files|imported 4\/4 files)$/);
        progress.set(r.id, [...(progress.get(r.id) ?? []), r.progress]);
      }
      if (rows.every((r) => r.status === "SUCCEEDED")) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const seen of progress.values()) expect(seen).toEqual([...seen].sort((a, b) => a - b));
    for (const j of jobs) expect((await waitForJob(services, j.id)).result).toMatchObject({ imported: 4 });
    await workers.stop();
    workers = undefined;
    return { peakHandlers, peakRows };
  }

  it(
    "runs one job of a queue at a time by default and as many as configured for that queue",
    { timeout: 120_000 },
    async () => {
      expect(await peakConcurrency("one", {})).toEqual({ peakHandlers: 1, peakRows: 1 });
      // Two for ingest; other queues keep their default.
      expect(await peakConcurrency("two", { concurrency: { ingest: 2 } })).toEqual({
        peakHandlers: 2,
        peakRows: 2,
      });
    },
  );
});
