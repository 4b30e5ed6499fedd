// The worker's services (database, file storage, queue), created once per process from the environment.
// The web app uses the same object, so both talk to one PGlite instance in the embedded default.
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { PgBoss } from "pg-boss";
import { getDatabase, openDatabase } from "@data-engine/db";
import { createStorageFromEnv, type Storage } from "@data-engine/storage";
import type { Database, Prisma } from "./db-types.ts";
import { releaseOrphansOfDeadProcess, startBoss } from "./queue/boss.ts";
import { ServicesConfigError } from "./errors.ts";

export type Env = Record<string, string | undefined>;

export interface Services {
  db: Database;
  prisma: Prisma;
  storage: Storage;
  queue: PgBoss;
  /** Where local files, PGlite data and scratch files live. */
  dataDir: string;
  env: Env;
  close(): Promise<void>;
}

export interface CreateServicesOptions {
  env?: Env;
  dataDir?: string;
  /** Use this database instead of opening one from the environment (tests). */
  database?: Database;
  /** Whether close() also closes `database` (default false; always true for a database opened here). */
  ownsDatabase?: boolean;
  /** Use this storage instead of the one the environment names (tests). */
  storage?: Storage;
  /** Apply pending migrations when opening the database (default true). */
  migrate?: boolean;
  /** pg-boss monitor interval (seconds): how fast a dead worker's job is noticed. */
  monitorIntervalSeconds?: number;
  /** Retry policy overrides for every queue (default from WORKER_RETRY_LIMIT / WORKER_RETRY_DELAY_SECONDS). */
  retry?: { limit?: number; delaySeconds?: number; backoff?: boolean };
  /**
   * PGlite only: at start-up, give jobs left "active" by a dead process back to the queue. Right when this
   * process owns the data directory (default when the database is opened here).
   */
  releaseOrphans?: boolean;
}

export function defaultDataDir(env: Env = process.env): string {
  return path.resolve(env.DATA_DIR?.trim() || ".data");
}

export async function createServices(options: CreateServicesOptions = {}): Promise<Services> {
  const env = options.env ?? process.env;
  const dataDir = path.resolve(options.dataDir ?? defaultDataDir(env));
  mkdirSync(dataDir, { recursive: true });
  const ownsDb = options.database ? (options.ownsDatabase ?? false) : true;
  const db =
    options.database ??
    (await openDatabase({
      databaseUrl: env.DATABASE_URL?.trim() || undefined,
      dataDir,
      migrate: options.migrate ?? true,
    }));
  try {
    const storage = options.storage ?? createStorageFromEnv(env, { dataDir });
    // Fail at start-up, in one line naming the setting, rather than at the first upload: an unreachable
    // S3 endpoint, a rejected credential, a missing bucket or an unwritable data directory.
    if (!options.storage) await storage.check();
    const monitor = options.monitorIntervalSeconds ?? numberFromEnv(env, "WORKER_MONITOR_SECONDS");
    const retry = options.retry ?? {
      limit: numberFromEnv(env, "WORKER_RETRY_LIMIT", 0),
      delaySeconds: numberFromEnv(env, "WORKER_RETRY_DELAY_SECONDS", 0),
    };
    const heartbeatSeconds = numberFromEnv(env, "WORKER_HEARTBEAT_SECONDS", 10);
    const queue = await startBoss(db, { monitorIntervalSeconds: monitor, retry, heartbeatSeconds });
    if (db.kind === "pglite" && (options.releaseOrphans ?? ownsDb)) {
      const released = await releaseOrphansOfDeadProcess(queue);
      if (released > 0) console.warn(`[queue] ${released} job(s) left running by a stopped process went back to the queue`);
    }
    let closed: Promise<void> | undefined;
    return {
      db,
      prisma: db.prisma,
      storage,
      queue,
      dataDir,
      env,
      close() {
        closed ??= (async () => {
          await queue.stop({ graceful: true, timeout: 10_000 });
          if (ownsDb) await db.close();
        })();
        return closed;
      },
    };
  } catch (error) {
    if (ownsDb) await db.close().catch(() => undefined);
    throw error;
  }
}

function numberFromEnv(env: Env, name: string, min = 1): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ServicesConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

const GLOBAL_KEY = Symbol.for("@data-engine/worker.services");
type GlobalWithServices = typeof globalThis & { [GLOBAL_KEY]?: Promise<Services> };

/**
 * The process-wide services, created from the environment on first use. Kept on globalThis because
 * Next.js bundles route handlers with their own copies of modules: one PGlite per process, not per copy.
 */
export function getServices(options: Omit<CreateServicesOptions, "database" | "storage" | "env"> = {}): Promise<Services> {
  const g = globalThis as GlobalWithServices;
  if (!g[GLOBAL_KEY]) {
    // The database singleton of @data-engine/db (so code that calls getDatabase() shares this PGlite),
    // unless the caller names another data folder than the one the environment gives it.
    const sameDir = !options.dataDir || path.resolve(options.dataDir) === defaultDataDir();
    const created = sameDir
      ? getDatabase().then((database) => createServices({ ...options, database, ownsDatabase: true, releaseOrphans: true }))
      : createServices(options);
    g[GLOBAL_KEY] = created;
    created.catch(() => {
      if (g[GLOBAL_KEY] === created) delete g[GLOBAL_KEY];
    });
  }
  return g[GLOBAL_KEY]!;
}

/** Closes the process-wide services (if created) and forgets them. */
export async function closeServices(): Promise<void> {
  const g = globalThis as GlobalWithServices;
  const current = g[GLOBAL_KEY];
  delete g[GLOBAL_KEY];
  if (current) await (await current).close();
}
