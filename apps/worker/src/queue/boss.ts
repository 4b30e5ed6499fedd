// Creates and starts pg-boss on the product's database: in-process PGlite for the embedded default,
// a connection pool for PostgreSQL.
import { PgBoss, fromPglite, type ConstructorOptions } from "pg-boss";
import type { Database } from "../db-types.ts";
import { ALL_QUEUES, DEAD_LETTER_QUEUE, PGBOSS_SCHEMA, QUEUE_POLICIES } from "./queues.ts";

export interface BossOptions {
  /** How often expired / heartbeat-less jobs are looked for, in seconds (pg-boss' monitor). */
  monitorIntervalSeconds?: number;
  /** Polling interval of idle workers, in seconds (>= 0.5). */
  pollingIntervalSeconds?: number;
  onError?: (error: unknown) => void;
  /** Overrides of every queue's retry policy (tests, or operators who want faster / slower retries). */
  retry?: { limit?: number; delaySeconds?: number; backoff?: boolean };
  /**
   * Overrides every queue's heartbeat window, in seconds, when the queue is created: how long a job of a
   * process that died stays claimed (tests; the train queue's default is wide for long CPU steps).
   */
  heartbeatSeconds?: number;
}

export async function startBoss(db: Database, options: BossOptions = {}): Promise<PgBoss> {
  const monitor = options.monitorIntervalSeconds ?? 5;
  const common: ConstructorOptions = {
    schema: PGBOSS_SCHEMA,
    superviseIntervalSeconds: monitor,
    monitorIntervalSeconds: monitor,
    schedule: false,
  };
  let boss: PgBoss;
  if (db.kind === "pglite") {
    if (!db.pglite) throw new Error("PGlite database handle is missing its pglite instance");
    boss = new PgBoss({ ...common, db: fromPglite(db.pglite), backend: "pglite", useListenNotify: true });
  } else {
    if (!db.databaseUrl) throw new Error("PostgreSQL database handle is missing its databaseUrl");
    boss = new PgBoss({ ...common, connectionString: db.databaseUrl, max: 4, useListenNotify: true });
  }
  boss.on("error", options.onError ?? ((error) => console.error("[queue]", error)));
  await boss.start();
  await ensureQueues(boss, options.retry, options.heartbeatSeconds);
  return boss;
}

async function ensureQueues(boss: PgBoss, retry: BossOptions["retry"] = {}, heartbeatSeconds?: number): Promise<void> {
  const existing = new Set((await boss.getQueues()).map((q) => q.name));
  if (!existing.has(DEAD_LETTER_QUEUE)) await boss.createQueue(DEAD_LETTER_QUEUE, { retryLimit: 0, retentionSeconds: 30 * 86400 });
  for (const name of ALL_QUEUES) {
    const policy = { ...QUEUE_POLICIES[name] };
    if (retry.limit !== undefined) policy.retryLimit = retry.limit;
    if (retry.delaySeconds !== undefined) policy.retryDelay = retry.delaySeconds;
    if (retry.backoff !== undefined) policy.retryBackoff = retry.backoff;
    if (!policy.retryBackoff) delete policy.retryDelayMax;
    if (heartbeatSeconds !== undefined) policy.heartbeatSeconds = heartbeatSeconds;
    if (existing.has(name)) await boss.updateQueue(name, withoutCreateOnly(policy));
    else await boss.createQueue(name, policy);
  }
}

function withoutCreateOnly(policy: (typeof QUEUE_POLICIES)[keyof typeof QUEUE_POLICIES]) {
  const { deadLetter: _d, retryDelayMax: _r, heartbeatSeconds: _h, ...rest } = policy;
  return rest;
}

/**
 * With PGlite only this process can own the database, so a job still "active" at start-up was held by
 * a process that died: give it back to the queue now instead of waiting for its heartbeat to expire.
 */
export async function releaseOrphansOfDeadProcess(boss: PgBoss): Promise<number> {
  let released = 0;
  for (const name of ALL_QUEUES) {
    const active = (await boss.findJobs(name, {})).filter((j) => j.state === "active");
    if (active.length === 0) continue;
    await boss.fail(
      name,
      active.map((j) => j.id),
      { message: "the worker process stopped while running this job (recovered at start-up)" },
    );
    released += active.length;
  }
  return released;
}
