// The Job row users see stays in step with the pg-boss queue: validation before queueing, status and
// timings, retries ending in DEAD (and the dead-letter queue), permanent failures, cancellation, graceful
// stop that releases the job, and manual retry.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Storage } from "@data-engine/storage";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { cancelJob, retryJob } from "../src/queue/control.ts";
import { startWorkers, type Workers } from "../src/queue/workers.ts";
import { DEAD_LETTER_QUEUE } from "../src/queue/queues.ts";
import { reconcileJobs } from "../src/queue/reconcile.ts";
import { JobParamsError, JobStateError } from "../src/errors.ts";
import { createProject, createTestServices, waitForJob, type TestServices } from "./support/services.ts";
import { writeImages } from "./support/images.ts";

let services: TestServices;
let workers: Workers | undefined;
let folder: string;
let projectId: string;
let storageBroken = false;
let putDelayMs = 0;

// A storage that can be made to fail (transient outage) or slow (to catch a job mid-way).
function faulty(local: Storage): Storage {
  return new Proxy(local, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === "list") {
        return (prefix: string) => {
          if (storageBroken) throw new Error("storage unavailable (simulated outage)");
          return target.list(prefix);
        };
      }
      if (prop === "put") {
        return async (...args: Parameters<Storage["put"]>) => {
          if (putDelayMs) await new Promise((r) => setTimeout(r, putDelayMs));
          return target.put(...args);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

// One database for the file (opening one costs seconds); each test gets its own project and folder.
beforeAll(async () => {
  services = await createTestServices({ storage: faulty, retryLimit: 2 });
});
afterAll(async () => {
  await services?.cleanup();
});

let projectCounter = 0;
beforeEach(async () => {
  storageBroken = false;
  putDelayMs = 0;
  projectId = await createProject(services, `p${++projectCounter}`);
  folder = await mkdtemp(path.join(tmpdir(), "queue-test-"));
});

afterEach(async () => {
  await workers?.stop();
  workers = undefined;
  await rm(folder, { recursive: true, force: true });
});

const start = async () => (workers = await startWorkers(services, { log: () => undefined, pollingIntervalSeconds: 0.5, reconcileIntervalMs: 0 }));

describe("enqueueJob", () => {
  it("rejects invalid parameters before anything is queued, naming the field", async () => {
    await expect(
      enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "folder", path: "relative/dir" } } }),
    ).rejects.toThrow(/source\.path: must be an absolute path/);
    await expect(enqueueJob(services, { type: "EXPORT", projectId, params: { filter: { stages: [7] } } })).rejects.toBeInstanceOf(JobParamsError);
    await expect(enqueueJob(services, { type: "EXPORT", projectId: "nope", params: {} })).rejects.toThrow(/No project with id "nope"/);
    await expect(enqueueJob(services, { type: "EXPORT", params: {} })).rejects.toThrow(/needs a projectId/);
    await expect(enqueueJob(services, { type: "EVALUATE", projectId, params: {} })).rejects.toThrow(/not supported/);
    await expect(enqueueJob(services, { type: "EMBED", projectId, params: {} })).rejects.toThrow(/no active model/);
    expect(await services.prisma.job.count({ where: { projectId } })).toBe(0);
    expect(await services.queue.findJobs("ingest", {})).toHaveLength(0);
    expect(await services.queue.findJobs("export", {})).toHaveLength(0);
  });

  it("creates the Job row and the queue job together, then runs it to SUCCEEDED with timings", async () => {
    await writeImages(folder, 3);
    const job = await enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "folder", path: folder } }, priority: 3 });
    expect(job.status).toBe("QUEUED");
    const [queued] = await services.queue.findJobs(job.queueName!, { id: job.queueJobId! });
    expect(queued?.data).toEqual({ jobId: job.id });
    expect(queued?.priority).toBe(3);
    await start();
    const done = await waitForJob(services, job.id);
    expect(done.status).toBe("SUCCEEDED");
    expect(done.progress).toBe(100);
    expect(done.attempts).toBe(1);
    expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(job.createdAt.getTime());
    expect(done.finishedAt!.getTime()).toBeGreaterThanOrEqual(done.startedAt!.getTime());
    expect(done.result).toMatchObject({ imported: 3, duplicates: 0, rejected: 0 });
    expect(done.error).toBeNull();
  });
});

describe("failures", () => {
  it("retries a transient failure with the queue's policy, then marks the job DEAD and dead-letters it", async () => {
    storageBroken = true;
    const job = await enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "upload", prefix: "uploads/b1/" } } });
    await start();
    const dead = await waitForJob(services, job.id);
    expect(dead.status).toBe("DEAD");
    expect(dead.attempts).toBe(3); // first attempt + retryLimit 2
    expect(dead.error).toMatch(/simulated outage/);
    expect(dead.finishedAt).not.toBeNull();
    const letters = await waitFor(async () => {
      const found = await services.queue.findJobs(DEAD_LETTER_QUEUE, { data: { jobId: job.id } });
      return found.length > 0 ? found : undefined;
    });
    expect(letters[0]!.data).toEqual({ jobId: job.id });

    // Fixed storage, manual retry: the same row runs again under a new queue job and succeeds.
    storageBroken = false;
    const again = await retryJob(services, job.id);
    expect(again.status).toBe("QUEUED");
    expect(again.queueJobId).not.toBe(job.queueJobId);
    const ok = await waitForJob(services, job.id);
    expect(ok.status).toBe("SUCCEEDED");
    await expect(retryJob(services, job.id)).rejects.toBeInstanceOf(JobStateError);
  });

  it("fails at once, without retries, when retrying cannot help", async () => {
    const job = await enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "s3", prefix: "x/" } } });
    await start();
    const failed = await waitForJob(services, job.id);
    expect(failed.status).toBe("FAILED");
    expect(failed.attempts).toBe(1);
    expect(failed.error).toMatch(/S3_BUCKET/);
  });
});

describe("cancellation and shutdown", () => {
  it("cancels a queued job in the row and in the queue; no worker runs it", async () => {
    await writeImages(folder, 2);
    const job = await enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "folder", path: folder } } });
    const cancelled = await cancelJob(services, job.id);
    expect(cancelled.status).toBe("CANCELLED");
    const [queued] = await services.queue.findJobs(job.queueName!, { id: job.queueJobId! });
    expect(queued?.state).toBe("cancelled");
    await start();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await services.prisma.image.count({ where: { projectId } })).toBe(0);
    expect((await services.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).status).toBe("CANCELLED");
  });

  it("stops a running job at its next item when cancelled", async () => {
    await writeImages(folder, 12);
    putDelayMs = 150;
    const job = await enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "folder", path: folder } } });
    await start();
    await waitFor(async () => ((await services.prisma.image.count({ where: { projectId } })) >= 2 ? true : undefined));
    await cancelJob(services, job.id);
    const row = await waitForJob(services, job.id);
    expect(row.status).toBe("CANCELLED");
    const images = await services.prisma.image.count({ where: { projectId } });
    expect(images).toBeGreaterThanOrEqual(2);
    expect(images).toBeLessThan(12);
  });

  it("on graceful stop gives the running job back to the queue without spending a retry, and a new worker finishes it", async () => {
    await writeImages(folder, 10);
    putDelayMs = 150;
    const job = await enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "folder", path: folder } } });
    await start();
    await waitFor(async () => ((await services.prisma.image.count({ where: { projectId } })) >= 2 ? true : undefined));
    await workers!.stop();
    workers = undefined;
    const released = await services.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(released.status).toBe("QUEUED");
    expect(released.queueJobId).not.toBe(job.queueJobId);
    const partial = await services.prisma.image.count({ where: { projectId } });
    expect(partial).toBeLessThan(10);

    putDelayMs = 0;
    await start();
    const done = await waitForJob(services, job.id);
    expect(done.status).toBe("SUCCEEDED");
    expect(done.attempts).toBe(1);
    expect(await services.prisma.image.count({ where: { projectId } })).toBe(10);
    const items = await services.prisma.jobItem.groupBy({ by: ["status"], where: { jobId: job.id }, _count: { _all: true } });
    expect(items).toEqual([{ status: "DONE", _count: { _all: 10 } }]);
  });
});

describe("reconcileJobs", () => {
  it("puts rows whose worker died between queue and row back in step with the queue", async () => {
    await writeImages(folder, 1);
    const stale = new Date(Date.now() - 60_000);
    const make = async () => {
      const job = await enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "folder", path: folder } } });
      await services.prisma.job.update({ where: { id: job.id }, data: { status: "RUNNING", heartbeatAt: stale } });
      return job;
    };
    const waiting = await make(); // queue job still created: the worker died before the queue noticed
    const cancelled = await make();
    await services.queue.cancel(cancelled.queueName!, cancelled.queueJobId!);
    const vanished = await make();
    await services.queue.deleteJob(vanished.queueName!, vanished.queueJobId!);
    const fresh = await enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "folder", path: folder } } });
    await services.prisma.job.update({ where: { id: fresh.id }, data: { status: "RUNNING", heartbeatAt: new Date() } });

    expect(await reconcileJobs(services)).toBeGreaterThanOrEqual(3);
    const status = async (id: string) => (await services.prisma.job.findUniqueOrThrow({ where: { id } })).status;
    expect(await status(waiting.id)).toBe("QUEUED");
    expect(await status(cancelled.id)).toBe("CANCELLED");
    expect(await status(vanished.id)).toBe("FAILED");
    expect(await status(fresh.id)).toBe("RUNNING"); // heartbeat is recent: a live worker holds it
    for (const j of [waiting, fresh]) await services.queue.cancel(j.queueName!, j.queueJobId!);
    await services.prisma.job.updateMany({ where: { id: { in: [waiting.id, fresh.id] } }, data: { status: "CANCELLED" } });
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const startAt = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - startAt > timeoutMs) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
