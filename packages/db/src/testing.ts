// Fresh, migrated databases for tests: one per test file (a PGlite costs seconds and hundreds of MB).
//
//   TEST_DATABASE unset      → PGlite in memory
//   TEST_DATABASE=postgres   → a new database de_test_<random> on TEST_POSTGRES_URL's server (default
//                              postgresql://postgres@127.0.0.1:5432/postgres), dropped by close()
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { openPGliteDatabase, openPostgresDatabase } from "./client.ts";
import type { Database } from "./client.ts";
import { DatabaseConfigError } from "./errors.ts";
import { applyMigrations } from "./migrate.ts";
import { readMigrationsDir } from "./migrations-dir.ts";
import { defaultMigrationsDir } from "./paths.ts";
import { snapshotPGlite } from "./pglite-snapshot.ts";
import { parsePostgresUrl, connectionError } from "./postgres-url.ts";

export type { Database };

export const defaultTestPostgresUrl = "postgresql://postgres@127.0.0.1:5432/postgres";

export interface TestDatabaseOptions {
  /** "pglite" or "postgres"; default from TEST_DATABASE (unset → "pglite"). */
  kind?: "pglite" | "postgres";
  migrationsDir?: string;
}

export function testDatabaseKind(): "pglite" | "postgres" {
  const value = (process.env.TEST_DATABASE ?? "").trim().toLowerCase();
  if (value === "" || value === "pglite") return "pglite";
  if (value === "postgres" || value === "postgresql") return "postgres";
  throw new DatabaseConfigError(
    "TEST_DATABASE",
    `TEST_DATABASE must be "postgres" or unset (got "${value}")`,
  );
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<Database> {
  const kind = options.kind ?? testDatabaseKind();
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir();
  return kind === "postgres"
    ? createPostgresTestDatabase(migrationsDir)
    : createPGliteTestDatabase(migrationsDir);
}

// ---------------------------------------------------------------------------------------------------
// PGlite: initdb plus migrations take several seconds; loading a snapshot of an already migrated
// cluster takes under one. The snapshot is keyed by the migrations' content.

function migrationsKey(migrationsDir: string): string {
  const hash = createHash("sha256");
  for (const dir of readMigrationsDir(migrationsDir).migrationDirectories) {
    hash.update(dir.path).update("\0");
    if (dir.migrationFile.content.tag === "ok") hash.update(dir.migrationFile.content.value);
    hash.update("\0");
  }
  return `migrated:${hash.digest("hex")}`;
}

async function createPGliteTestDatabase(migrationsDir: string): Promise<Database> {
  const pglite = await snapshotPGlite(migrationsKey(migrationsDir), async (fresh) => {
    await applyMigrations(new PrismaPGlite(fresh), { migrationsDir });
  });
  // Migrations run again regardless: a no-op on a current snapshot, and the real check otherwise.
  return openPGliteDatabase("memory://", { pglite, migrationsDir });
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL: a database of its own per test file, so test files can run in parallel.

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const target = parsePostgresUrl(adminUrl);
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    const cause = connectionError(target, error);
    throw new DatabaseConfigError(
      "TEST_POSTGRES_URL",
      cause.message.replace(/DATABASE_URL/g, "TEST_POSTGRES_URL"),
      {
        cause: error,
      },
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

async function createPostgresTestDatabase(migrationsDir: string): Promise<Database> {
  const adminUrl = (process.env.TEST_POSTGRES_URL ?? "").trim() || defaultTestPostgresUrl;
  const name = `de_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  const drop = () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  let database: Database;
  try {
    database = await openPostgresDatabase(withDatabase(adminUrl, name), { migrationsDir });
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    ...database,
    close: () =>
      (closing ??= (async () => {
        try {
          await database.close();
        } finally {
          await drop();
        }
      })()),
  };
}
