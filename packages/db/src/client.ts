// Opening the application database: PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite
// persisted under DATA_DIR. Both run the same Prisma client and the same migrations.
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/prisma/client.ts";
import { applyMigrations } from "./migrate.ts";
import { memoryDataDir, openPGlite } from "./pglite-open.ts";
import { checkPostgres, connectionError, parsePostgresUrl } from "./postgres-url.ts";

export type DatabaseKind = "pglite" | "postgres";

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; default process.env.DATABASE_URL. When neither is set, PGlite is used. */
  databaseUrl?: string;
  /**
   * Application data directory; PGlite keeps its files in `<dataDir>/pglite`. Default DATA_DIR, else
   * ".data". "memory://" gives a PGlite that lives in memory only (tests).
   */
  dataDir?: string;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  /** Folder of migrations; default the repository's prisma/migrations. */
  migrationsDir?: string;
}

export interface Database {
  prisma: PrismaClient;
  kind: DatabaseKind;
  /** The embedded database, when kind is "pglite" (for pg-boss's PGlite backend, raw SQL, dumps). */
  pglite?: PGlite;
  /** The PostgreSQL URL, when kind is "postgres". */
  databaseUrl?: string;
  /** The PGlite data directory (absolute, or "memory://"), when kind is "pglite". */
  dataDir?: string;
  close(): Promise<void>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

export function resolvePGliteDir(dataDir: string | undefined): string {
  const base = nonEmpty(dataDir) ?? nonEmpty(process.env.DATA_DIR) ?? ".data";
  return base === memoryDataDir ? memoryDataDir : join(base, "pglite");
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const databaseUrl = nonEmpty(options.databaseUrl) ?? nonEmpty(process.env.DATABASE_URL);
  const { migrate, migrationsDir } = options;
  if (databaseUrl !== undefined) return openPostgresDatabase(databaseUrl, { migrate, migrationsDir });
  return openPGliteDatabase(resolvePGliteDir(options.dataDir), { migrate, migrationsDir });
}

interface OpenKindOptions {
  migrate?: boolean;
  migrationsDir?: string;
}

/** PostgreSQL at `url`, regardless of the environment. */
export async function openPostgresDatabase(url: string, options: OpenKindOptions = {}): Promise<Database> {
  const target = parsePostgresUrl(url);
  await checkPostgres(target);
  if (options.migrate ?? true) {
    await applyMigrations(new PrismaPg({ connectionString: url }), { migrationsDir: options.migrationsDir });
  }
  const prisma = new PrismaClient({
    adapter: new PrismaPg(
      { connectionString: url },
      // An idle pooled connection dropped by the server must not crash the process.
      {
        onPoolError: (error) =>
          console.error(`PostgreSQL pool error: ${connectionError(target, error).message}`),
      },
    ),
  });
  return {
    prisma,
    kind: "postgres",
    databaseUrl: url,
    close: () => prisma.$disconnect(),
  };
}

/**
 * PGlite on the data directory `dataDir` itself (not `<dataDir>/pglite`), or "memory://", regardless of
 * the environment. `pglite` may be an already open instance to adopt (its data directory is then not
 * locked here); it is closed with the database.
 */
export async function openPGliteDatabase(
  dataDir: string,
  options: OpenKindOptions & { pglite?: PGlite } = {},
): Promise<Database> {
  const opened =
    options.pglite !== undefined ? { pglite: options.pglite, dataDir } : await openPGlite(dataDir);
  const { pglite } = opened;
  const lock = "lock" in opened ? opened.lock : undefined;
  try {
    if (options.migrate ?? true) {
      await applyMigrations(new PrismaPGlite(pglite), { migrationsDir: options.migrationsDir });
    }
  } catch (error) {
    await pglite.close().catch(() => {});
    lock?.release();
    throw error;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  let closing: Promise<void> | undefined;
  return {
    prisma,
    kind: "pglite",
    pglite,
    dataDir: opened.dataDir,
    close: () =>
      (closing ??= (async () => {
        try {
          await prisma.$disconnect();
          if (!pglite.closed) await pglite.close();
        } finally {
          lock?.release();
        }
      })()),
  };
}
