// Kill -9 a worker process in the middle of a job, start another, and check the job completes with no
// duplicate images, dataset rows or export files. On PostgreSQL the test reads the database while the
// worker runs; on PGlite only one process may open the data directory, so the test opens it only
// between worker runs and watches the files the worker writes to know when to kill it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@data-engine/db/testing";
import { insertSyntheticMasks } from "../bench/synthetic.ts";
import { LOCAL_TEMP_PREFIX } from "@data-engine/storage";
import { createServices, type Services } from "../src/services.ts";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { datasetVersionIdFor } from "../src/jobs/export/handler.ts";

const onPostgres = process.env.TEST_DATABASE === "postgres";
const CHILD = fileURLToPath(new URL("./fixtures/worker-process.ts", import.meta.url));
const children = new Set<ChildProcess>();
let dataDir: string;
let databaseUrl: string | undefined;
let closeDatabase: (() => Promise<void>) | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "crash-test-"));
  if (onPostgres) {
    // A fresh database the child processes reach by URL; the test holds no connection of its own.
    const db = await createTestDatabase();
    databaseUrl = db.databaseUrl;
    closeDatabase = async () => db.close();
  }
});
afterEach(async () => {
  // A failed test must not leave a worker holding the data directory for the next one.
  for (const child of children) {
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
  }
});
afterAll(async () => {
  await closeDatabase?.();
  await rm(dataDir, { recursive: true, force: true });
});

/** Opens the services for setup or checks (on PGlite: only while no worker process runs). */
async function withServices<T>(fn: (services: Services) => Promise<T>): Promise<T> {
  const services = await createServices({ env: childEnv(), dataDir, monitorIntervalSeconds: 1 });
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, WORKER_MONITOR_SECONDS: "1", WORKER_RETRY_DELAY_SECONDS: "1" };
  delete env.S3_BUCKET;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;
  return env;
}

function startChild(jobId: string): { child: ChildProcess; result: Promise<{ status: string; attempts: number; log: string }> } {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, jobId], { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const result = new Promise<{ status: string; attempts: number; log: string }>((resolve, reject) => {
    child.on("exit", (code, signal) => {
      const line = log.split("\n").find((l) => l.startsWith("RESULT "));
      if (line) resolve({ ...(JSON.parse(line.slice(7)) as { status: string; attempts: number }), log });
      else reject(new Error(`worker exited (${code ?? signal}) without a result:\n${log}`));
    });
  });
  return { child, result };
}

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Ignores the storage's own in-flight temporary files (a killed write can leave one behind).
async function countFiles(dir: string): Promise<number> {
  return existsSync(dir) ? (await readdir(dir)).filter((n) => !n.startsWith(LOCAL_TEMP_PREFIX)).length : 0;
}

/** Runs a worker on the job, SIGKILLs it once `midway` is true, then lets a second worker finish. */
async function killMidwayAndRestart(jobId: string, midway: () => Promise<boolean>) {
  const first = startChild(jobId);
  let finishedEarly = false;
  first.result.then(() => (finishedEarly = true)).catch(() => undefined);
  await until(async () => {
    if (finishedEarly) throw new Error("the job finished before the worker could be killed: make it bigger");
    return midway();
  }, "the job to be under way");
  first.child.kill("SIGKILL");
  await new Promise((r) => first.child.once("exit", r));
  const second = startChild(jobId);
  return second.result;
}

describe(`a worker killed with SIGKILL mid-job (${onPostgres ? "PostgreSQL" : "PGlite"})`, () => {
  it("finishes an ingest on restart with every image exactly once", { timeout: 240_000 }, async () => {
    const folder = path.join(dataDir, "incoming");
    const N = 24;
    await mkdir(folder, { recursive: true });
    for (let i = 0; i < N; i++) {
      // Big enough that encoding takes a while, distinct content per file.
      await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: i * 5, g: 255 - i * 5, b: 128 } } })
        .composite([{ input: { create: { width: 200 + i * 10, height: 300, channels: 3, background: "#ffffff" } }, left: 10, top: 10 }])
        .png()
        .toFile(path.join(folder, `f${String(i).padStart(2, "0")}.png`));
    }
    const { projectId, jobId } = await withServices(async (services) => {
      const project = await services.prisma.project.create({ data: { name: "crash", slug: "crash-ingest" } });
      const job = await enqueueJob(services, { type: "INGEST", projectId: project.id, params: { source: { kind: "folder", path: folder } } });
      return { projectId: project.id, jobId: job.id };
    });
    const thumbs = path.join(dataDir, "files", "projects", projectId, "thumbnails");
    const result = await killMidwayAndRestart(jobId, async () => (await countFiles(thumbs)) >= 5);
    expect(result.status, result.log).toBe("SUCCEEDED");
    expect(result.attempts).toBeGreaterThanOrEqual(2);

    await withServices(async (services) => {
      const images = await services.prisma.image.findMany({ where: { projectId } });
      expect(images).toHaveLength(N);
      expect(new Set(images.map((i) => i.sha256)).size).toBe(N);
      const items = await services.prisma.jobItem.findMany({ where: { jobId, NOT: { key: { startsWith: "~" } } } });
      expect(items.map((i) => i.status)).toEqual(Array(N).fill("DONE"));
      const job = await services.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
      expect(job.result).toMatchObject({ imported: N, duplicates: 0, rejected: 0 });
    });
    expect(await countFiles(thumbs)).toBe(N);
    expect(await countFiles(path.join(dataDir, "files", "projects", projectId, "images"))).toBe(N);
  });

  it("finishes an export on restart with one archive and no duplicate dataset rows", { timeout: 240_000 }, async () => {
    const IMAGES = 60;
    const PER_IMAGE = 100;
    const { projectId, jobId } = await withServices(async (services) => {
      const project = await services.prisma.project.create({ data: { name: "crash", slug: "crash-export" } });
      await insertSyntheticMasks(services, project.id, IMAGES, PER_IMAGE);
      const job = await enqueueJob(services, { type: "EXPORT", projectId: project.id, params: { options: { pngMasks: false } } });
      return { projectId: project.id, jobId: job.id };
    });
    const dvId = datasetVersionIdFor(jobId);
    // The scratch folder exists from the end of the snapshot until the archive is published.
    const scratchDir = path.join(dataDir, "tmp", `export-${dvId}`);
    const result = await killMidwayAndRestart(jobId, async () => existsSync(scratchDir));
    expect(result.status, result.log).toBe("SUCCEEDED");
    expect(result.attempts).toBeGreaterThanOrEqual(2);

    const total = IMAGES * PER_IMAGE;
    const key = await withServices(async (services) => {
      const versions = await services.prisma.datasetVersion.findMany({ where: { projectId } });
      expect(versions.map((v) => [v.id, v.status, v.imageCount, v.maskCount])).toEqual([[dvId, "READY", IMAGES, total]]);
      expect(await services.prisma.datasetItem.count({ where: { datasetVersionId: dvId } })).toBe(total);
      const keys: string[] = [];
      for await (const e of services.storage.list(`datasets/${projectId}`)) keys.push(e.key);
      expect(keys).toEqual([versions[0]!.storageKey]);
      return versions[0]!.storageKey!;
    });
    // The archive holds each file once and the COCO file has every annotation once.
    const entries = await listTarGz(path.join(dataDir, "files", key));
    expect(new Set(entries.map((e) => e.name)).size).toBe(entries.length);
    expect(entries.filter((e) => e.name.includes("/sa1b/"))).toHaveLength(IMAGES);
    const coco = JSON.parse(entries.find((e) => e.name.endsWith("coco/instances.json"))!.text!) as { annotations: { id: number }[] };
    expect(coco.annotations).toHaveLength(total);
    expect(new Set(coco.annotations.map((a) => a.id)).size).toBe(total);
    expect(existsSync(path.join(dataDir, "tmp", `export-${dvId}`))).toBe(false);
  });
});

/** Reads a .tar.gz (ustar) with an independent little parser: names, and the text of JSON files. */
async function listTarGz(file: string): Promise<{ name: string; text?: string }[]> {
  const { createReadStream } = await import("node:fs");
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file).pipe(createGunzip())) chunks.push(c as Buffer);
  const tar = Buffer.concat(chunks);
  const out: { name: string; text?: string }[] = [];
  for (let o = 0; o + 512 <= tar.length; ) {
    const header = tar.subarray(o, o + 512);
    if (header.every((b) => b === 0)) break;
    const str = (a: number, b: number) => header.subarray(a, b).toString("utf8").replace(/\0.*$/s, "");
    const name = [str(345, 500), str(0, 100)].filter(Boolean).join("/");
    const size = parseInt(str(124, 136).trim(), 8);
    const body = tar.subarray(o + 512, o + 512 + size);
    out.push({ name, text: name.endsWith("instances.json") ? body.toString("utf8") : undefined });
    o += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
