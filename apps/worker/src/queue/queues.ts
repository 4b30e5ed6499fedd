// The pg-boss queues, one per job type (plus a priority lane for embeddings an annotator is waiting for),
// and the retry / expiry policy of each.
import type { Queue } from "pg-boss";
import type { JobType } from "@data-engine/db";

export const PGBOSS_SCHEMA = "pgboss";
export const DEAD_LETTER_QUEUE = "dead-letter";

export const QUEUE_NAMES = {
  ingest: "ingest",
  embed: "embed",
  embedPriority: "embed-priority",
  export: "export",
  generate: "generate",
  train: "train",
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

export const ALL_QUEUES: readonly QueueName[] = Object.values(QUEUE_NAMES);

/** The queue a job of this type goes to (EMBED with a positive priority takes the priority lane). */
export function queueFor(type: JobType, priority = 0): QueueName {
  switch (type) {
    case "INGEST":
      return QUEUE_NAMES.ingest;
    case "EMBED":
      return priority > 0 ? QUEUE_NAMES.embedPriority : QUEUE_NAMES.embed;
    case "EXPORT":
      return QUEUE_NAMES.export;
    case "GENERATE":
      return QUEUE_NAMES.generate;
    case "RETRAIN":
      return QUEUE_NAMES.train;
    default:
      throw new Error(`Job type ${type} has no queue in this worker yet`);
  }
}

// Long batch jobs: a heartbeat (not the expiry) is what detects a dead worker, so expiry is generous.
const batchPolicy: Omit<Queue, "name"> = {
  retryLimit: 3,
  retryDelay: 5,
  retryBackoff: true,
  retryDelayMax: 300,
  expireInSeconds: 6 * 3600,
  heartbeatSeconds: 10,
  deadLetter: DEAD_LETTER_QUEUE,
  notify: true,
};

export const QUEUE_POLICIES: Record<QueueName, Omit<Queue, "name">> = {
  ingest: batchPolicy,
  embed: batchPolicy,
  "embed-priority": { ...batchPolicy, retryDelay: 1, retryDelayMax: 30, expireInSeconds: 3600 },
  export: batchPolicy,
  generate: batchPolicy,
  // A training step can hold the event loop for tens of seconds (full-size decoder on CPU), so the
  // heartbeat window is wider; a crashed round resumes from its checkpoint, so one retry is enough.
  train: { ...batchPolicy, retryLimit: 2, heartbeatSeconds: 300 },
};

/** Default number of jobs one worker process runs at once per queue. */
export const DEFAULT_CONCURRENCY: Record<QueueName, number> = {
  ingest: 1,
  embed: 1,
  "embed-priority": 1,
  export: 1,
  generate: 1,
  train: 1,
};
