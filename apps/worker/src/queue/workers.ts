// Starts handlers on the queues and stops them gracefully: on stop, running handlers reach their next
// checkpoint and give their job back to the queue (or finish, if they are past their last checkpoint).
import type { JobWithMetadata } from "pg-boss";
import type { Services } from "../services.ts";
import { getJobDefinition } from "../jobs/registry.ts";
import { ALL_QUEUES, DEFAULT_CONCURRENCY, type QueueName } from "./queues.ts";
import { isQueuePayload, type QueuePayload } from "./payload.ts";
import { runQueueJob } from "./run-job.ts";
import { reconcileJobs } from "./reconcile.ts";
import type { JobType } from "@data-engine/db";

const QUEUE_TYPES: Record<QueueName, JobType> = {
  ingest: "INGEST",
  embed: "EMBED",
  "embed-priority": "EMBED",
  export: "EXPORT",
  generate: "GENERATE",
  train: "RETRAIN",
};

export interface StartWorkersOptions {
  /** Queues to work on (default: all). */
  queues?: readonly QueueName[];
  /** Jobs run at once per queue, overriding the defaults; a number applies to every queue. */
  concurrency?: number | Partial<Record<QueueName, number>>;
  /** Idle polling interval in seconds (LISTEN/NOTIFY wakes workers sooner). */
  pollingIntervalSeconds?: number;
  /** How long stop() waits for running handlers before giving up on them, in ms. */
  stopTimeoutMs?: number;
  /** How often rows are reconciled with the queue, in ms (0 disables). */
  reconcileIntervalMs?: number;
  log?: (message: string) => void;
}

export interface Workers {
  stop(): Promise<void>;
  /** Number of handlers running now. */
  running(): number;
}

export async function startWorkers(services: Services, options: StartWorkersOptions = {}): Promise<Workers> {
  const queues = options.queues ?? ALL_QUEUES;
  const log = options.log ?? ((message: string) => console.log(`[worker] ${message}`));
  let stopping = false;
  let active = 0;
  const control = { stopping: () => stopping };

  for (const name of queues) {
    if (!ALL_QUEUES.includes(name)) throw new Error(`Unknown queue "${name}" (known: ${ALL_QUEUES.join(", ")})`);
    const def = getJobDefinition(QUEUE_TYPES[name]);
    const concurrency =
      typeof options.concurrency === "number" ? options.concurrency : (options.concurrency?.[name] ?? DEFAULT_CONCURRENCY[name]);
    await services.queue.work(
      name,
      {
        includeMetadata: true,
        batchSize: 1,
        localConcurrency: concurrency,
        pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1,
        // NOTIFY wakes workers for new jobs, but not for retries whose delay ran out: keep polling brisk.
        notifyPollingIntervalSeconds: Math.max(options.pollingIntervalSeconds ?? 1, 2),
      },
      async (jobs: JobWithMetadata<QueuePayload>[]) => {
        const job = jobs[0]!;
        if (!isQueuePayload(job.data)) return { skipped: "payload without a jobId" };
        active++;
        try {
          const { outcome } = await runQueueJob(services, def, job, control, log);
          return { outcome };
        } finally {
          active--;
        }
      },
    );
  }

  const reconcileMs = options.reconcileIntervalMs ?? 15_000;
  let reconciling: Promise<unknown> = Promise.resolve();
  const timer =
    reconcileMs > 0
      ? setInterval(() => {
          reconciling = reconcileJobs(services).catch((error) => log(`reconcile failed: ${String(error)}`));
        }, reconcileMs)
      : undefined;
  timer?.unref();

  let stopped: Promise<void> | undefined;
  return {
    running: () => active,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        if (timer) clearInterval(timer);
        const timeout = options.stopTimeoutMs ?? 30_000;
        const offs = Promise.all(queues.map((name) => services.queue.offWork(name, { wait: true })));
        let timedOut = false;
        await Promise.race([offs, new Promise((r) => setTimeout(r, timeout).unref()).then(() => (timedOut = true))]);
        if (timedOut) log(`stop: ${active} handler(s) still running after ${timeout} ms; the queue will retry their jobs`);
        await reconciling;
      })();
      return stopped;
    },
  };
}
