// The production worker process (src/main.ts) sent SIGTERM in the middle of an ingest: it stops at the
// next item, gives the job back to the queue without spending a retry, and exits 0; another worker then
// finishes the job with every image once.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { countFiles, createCrashHarness, until, type CrashHarness } from "./support/crash-harness.ts";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
let harness: CrashHarness;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  harness = await createCrashHarness("shutdown-test-");
});
afterEach(async () => {
  // A failed test must not leave a worker holding the data directory.
  if (worker && worker.exitCode === null && worker.signalCode === null) {
    worker.kill("SIGKILL");
    await new Promise((r) => worker!.once("exit", r));
  }
  await harness.killAll();
});
afterAll(async () => {
  await harness?.close();
});

describe(`the worker process on SIGTERM (${process.env.TEST_DATABASE === "postgres" ? "PostgreSQL" : "PGlite"})`, () => {
  it(
    "releases the running job to the queue, exits 0, and the job finishes later with no retry spent",
    { timeout: 240_000 },
    async () => {
      const folder = path.join(harness.dataDir, "incoming");
      const N = 20;
      await mkdir(folder, { recursive: true });
      for (let i = 0; i < N; i++) {
        await sharp({
          create: { width: 800, height: 600, channels: 3, background: { r: i * 9, g: 200 - i * 7, b: 60 } },
        })
          .png()
          .toFile(path.join(folder, `f${String(i).padStart(2, "0")}.png`));
      }
      const { projectId, job } = await harness.withServices(async (services) => {
        const project = await services.prisma.project.create({
          data: { name: "shutdown", slug: "shutdown" },
        });
        const job = await enqueueJob(services, {
          type: "INGEST",
          projectId: project.id,
          params: { source: { kind: "folder", path: folder } },
        });
        return { projectId: project.id, job };
      });

      worker = spawn(process.execPath, ["--import", "tsx", MAIN], {
        env: { ...harness.env(), WORKER_QUEUES: "ingest" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let log = "";
      worker.stdout!.on("data", (d) => (log += d));
      worker.stderr!.on("data", (d) => (log += d));
      const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
        worker!.once("exit", (code) => resolve({ code, at: Date.now() })),
      );
      const thumbs = path.join(harness.dataDir, "files", "projects", projectId, "thumbnails");
      let ended = false;
      void exited.then(() => (ended = true));
      await until(async () => {
        if (ended) throw new Error(`the worker ended before SIGTERM:\n${log}`);
        return (await countFiles(thumbs)) >= 3;
      }, "the ingest to be under way");
      const signalledAt = Date.now();
      worker.kill("SIGTERM");
      const { code, at } = await exited;
      expect(code, log).toBe(0);
      expect(log).toMatch(/SIGTERM: finishing or releasing running jobs/);
      // It stops at the next item rather than finishing the batch (or waiting for a timeout).
      expect(at - signalledAt).toBeLessThan(15_000);

      const partial = await harness.withServices(async (services) => {
        const row = await services.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
        expect(row.status).toBe("QUEUED");
        expect(row.attempts).toBe(1);
        expect(row.progressMessage).toMatch(/released by a stopping worker/);
        expect(row.queueJobId).not.toBe(job.queueJobId);
        // The released queue job is completed (not failed: no retry spent); its replacement waits.
        const [old] = await services.queue.findJobs(job.queueName!, { id: job.queueJobId! });
        expect([old?.state, old?.output]).toEqual(["completed", { released: true }]);
        const [replacement] = await services.queue.findJobs(job.queueName!, { id: row.queueJobId! });
        expect(replacement?.state).toBe("created");
        const images = await services.prisma.image.count({ where: { projectId } });
        const done = await services.prisma.jobItem.count({ where: { jobId: job.id, status: "DONE" } });
        expect(done).toBe(images); // the rows say exactly what was imported
        return images;
      });
      expect(partial).toBeGreaterThanOrEqual(3);
      expect(partial).toBeLessThan(N);

      const result = await harness.runWorker(job.id);
      expect(result.status, result.log).toBe("SUCCEEDED");
      expect(result.attempts).toBe(1);
      await harness.withServices(async (services) => {
        const images = await services.prisma.image.findMany({ where: { projectId } });
        expect(images).toHaveLength(N);
        expect(new Set(images.map((i) => i.sha256)).size).toBe(N);
        const row = await services.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
        expect(row.result).toMatchObject({ imported: N, duplicates: 0, rejected: 0 });
      });
    },
  );
});
