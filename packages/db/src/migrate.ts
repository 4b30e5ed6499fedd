// `prisma migrate deploy` without the native engine: applies the SQL files of prisma/migrations through
// the official WASM schema engine and a driver adapter. The engine keeps the same `_prisma_migrations`
// bookkeeping (checksums, timestamps, applied steps) as the native CLI, so a database migrated here can
// later be handled by the ordinary `prisma migrate deploy`, and the other way round.
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  Transaction,
} from "@prisma/driver-adapter-utils";
import { MigrationError } from "./errors.ts";
import { readMigrationsDir } from "./migrations-dir.ts";
import { defaultMigrationsDir } from "./paths.ts";
import { createSchemaEngine, emptyFilters } from "./schema-engine.ts";
import { withWholeScripts } from "./whole-scripts.ts";

export interface ApplyMigrationsOptions {
  /** Folder of migration directories; default: the repository's prisma/migrations. */
  migrationsDir?: string;
  /** How long to wait for another process that is applying migrations to the same database. */
  lockTimeoutMs?: number;
}

export interface ApplyMigrationsResult {
  /** Names of the migrations applied by this call, oldest first; empty when the database was current. */
  applied: string[];
}

// Our own key, not the engine's (72707369): the engine may take its own lock on another connection of
// the same pool, and session locks held by different connections of one process would deadlock.
const applyLockKey = 4_447_312_011n;

export const isPGliteFactory = (factory: SqlMigrationAwareDriverAdapterFactory): boolean =>
  factory.adapterName === "pglite-prisma-adapter";

/**
 * Applies every migration of the migrations folder that the database has not recorded yet.
 *
 * On PostgreSQL the whole apply runs under a transaction-scoped advisory lock, so processes that start
 * together (several web replicas, web + worker) apply each migration once; the others wait, then find
 * nothing left to do. PGlite has a single connection owned by one process; calls are serialised in
 * process instead (an open transaction would block the engine's own queries on that one connection).
 */
export async function applyMigrations(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  options: ApplyMigrationsOptions = {},
): Promise<ApplyMigrationsResult> {
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir();
  const migrationsList = readMigrationsDir(migrationsDir);
  if (migrationsList.migrationDirectories.length === 0) {
    throw new MigrationError(
      `No migrations found in ${migrationsDir} — run the migrations from a checkout that has prisma/migrations, or set PRISMA_MIGRATIONS_DIR`,
    );
  }
  const unreadable = migrationsList.migrationDirectories.find(
    (dir) => dir.migrationFile.content.tag === "error",
  );
  if (unreadable !== undefined) {
    throw new MigrationError(
      `Migration ${unreadable.path} has no readable migration.sql in ${migrationsDir}`,
    );
  }

  const run = () => runEngine(adapterFactory, migrationsList);
  if (isPGliteFactory(adapterFactory)) return serialisedInProcess(run);
  return withAdvisoryLock(adapterFactory, options.lockTimeoutMs ?? 120_000, run);
}

async function runEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  migrationsList: ReturnType<typeof readMigrationsDir>,
): Promise<ApplyMigrationsResult> {
  const factory = withWholeScripts(adapterFactory);
  const engine = await createSchemaEngine(factory);
  try {
    const output = await engine.applyMigrations({ migrationsList, filters: emptyFilters });
    return { applied: output.appliedMigrationNames };
  } catch (error) {
    throw new MigrationError(`Applying migrations failed: ${firstLine(error)}`, { cause: error });
  } finally {
    engine.free();
    await factory.disposeAll();
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .trim()
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .join(" ")
    .slice(0, 2000);
}

const queueKey = Symbol.for("@data-engine/db/pglite-migrate-queue");
type GlobalWithQueue = typeof globalThis & { [queueKey]?: Promise<unknown> };

function serialisedInProcess<T>(task: () => Promise<T>): Promise<T> {
  const g = globalThis as GlobalWithQueue;
  const previous = g[queueKey] ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(task);
  g[queueKey] = next;
  return next;
}

const noArgs = { args: [], argTypes: [] };

function isLockTimeout(error: unknown): boolean {
  const cause = (error as { cause?: { kind?: unknown; code?: unknown } } | null)?.cause;
  return cause?.kind === "postgres" && cause.code === "55P03";
}

async function withAdvisoryLock<T>(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  timeoutMs: number,
  task: () => Promise<T>,
): Promise<T> {
  const adapter: SqlDriverAdapter = await adapterFactory.connect();
  let tx: Transaction | undefined;
  try {
    tx = await adapter.startTransaction();
    await tx.executeRaw({ sql: `SET LOCAL lock_timeout = ${Math.max(1, Math.round(timeoutMs))}`, ...noArgs });
    try {
      // executeRaw, not queryRaw: the adapters cannot decode the `void` column this returns.
      await tx.executeRaw({ sql: `SELECT pg_advisory_xact_lock(${applyLockKey})`, ...noArgs });
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      throw new MigrationError(
        `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for another process to finish applying migrations (advisory lock ${applyLockKey})`,
        { cause: error },
      );
    }
    return await task();
  } finally {
    if (tx !== undefined) {
      // Adapters without phantom queries leave COMMIT/ROLLBACK to the caller (the lock is all we held).
      if (!tx.options.usePhantomQuery)
        await tx.executeRaw({ sql: "ROLLBACK", ...noArgs }).catch(() => undefined);
      await tx.rollback().catch(() => undefined);
    }
    await adapter.dispose().catch(() => undefined);
  }
}
