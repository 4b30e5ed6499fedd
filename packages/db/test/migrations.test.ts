import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, MigrationError } from "../src/index.ts";
import type { Database } from "../src/index.ts";
import { createTestDatabase } from "../src/testing.ts";

const repoMigrations = new URL("../../../prisma/migrations/", import.meta.url).pathname;
const schemaText = readFileSync(new URL("../../../prisma/schema.prisma", import.meta.url), "utf8");

const migrationNames = readdirSync(repoMigrations, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | string | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | string | null;
  started_at: Date | string;
  applied_steps_count: number;
}

let db: Database;
const scratch = mkdtempSync(join(tmpdir(), "de-db-migrations-"));

function factoryFor(database: Database) {
  return database.kind === "pglite"
    ? new PrismaPGlite(database.pglite!)
    : new PrismaPg({ connectionString: database.databaseUrl! });
}

async function migrationRows(database: Database): Promise<MigrationRow[]> {
  return database.prisma.$queryRawUnsafe<MigrationRow[]>(
    'SELECT * FROM "_prisma_migrations" ORDER BY "started_at", "migration_name"',
  );
}

// One growing copy of the repository's migrations: each test below adds the migrations it needs.
let growing: string;
function addMigration(name: string, sql: string): string {
  mkdirSync(join(growing, name));
  writeFileSync(join(growing, name, "migration.sql"), sql);
  return growing;
}

beforeAll(async () => {
  growing = mkdtempSync(join(scratch, "m-"));
  cpSync(repoMigrations, growing, { recursive: true });
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("applyMigrations", () => {
  it("has at least the initial migration in the repository", () => {
    expect(migrationNames.length).toBeGreaterThanOrEqual(1);
    expect(migrationNames[0]).toMatch(/^\d{14}_init$/);
  });

  it("creates a table for every model of the schema", async () => {
    const models = [...schemaText.matchAll(/^model\s+(\w+)\s*\{/gm)].map((match) => match[1]);
    const tables = await db.prisma.$queryRawUnsafe<{ table_name: string }[]>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    const names = new Set(tables.map((row) => row.table_name));
    expect(models.length).toBeGreaterThan(10);
    for (const model of models) expect(names, model).toContain(model);
  });

  it("records every migration the way Prisma does", async () => {
    const rows = await migrationRows(db);
    expect(rows.map((row) => row.migration_name)).toEqual(migrationNames);
    for (const row of rows) {
      const sql = readFileSync(join(repoMigrations, row.migration_name, "migration.sql"));
      expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(row.finished_at).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("is a no-op when applied again", async () => {
    const before = await migrationRows(db);
    await expect(applyMigrations(factoryFor(db))).resolves.toEqual({ applied: [] });
    expect(await migrationRows(db)).toEqual(before);
  });

  it("applies each migration once when two callers start together", async () => {
    const dir = addMigration(
      "29990101000000_concurrent",
      'CREATE TABLE "ConcurrentProbe" ("id" INTEGER PRIMARY KEY);',
    );
    const results = await Promise.all([
      applyMigrations(factoryFor(db), { migrationsDir: dir }),
      applyMigrations(factoryFor(db), { migrationsDir: dir }),
    ]);
    const applied = results.flatMap((result) => result.applied);
    expect(applied).toEqual(["29990101000000_concurrent"]);
    const rows = (await migrationRows(db)).filter(
      (row) => row.migration_name === "29990101000000_concurrent",
    );
    expect(rows).toHaveLength(1);
  });

  it("runs a migration file as one script (semicolons inside statements survive)", async () => {
    const dir = addMigration(
      "29990102000000_semicolons",
      [
        'CREATE TABLE "SemicolonProbe" ("id" INTEGER PRIMARY KEY, "note" TEXT NOT NULL DEFAULT \'a;b\');',
        "DO $$ BEGIN",
        '  INSERT INTO "SemicolonProbe" ("id") VALUES (1);',
        '  INSERT INTO "SemicolonProbe" ("id", "note") VALUES (2, \'c;d\');',
        "END $$;",
      ].join("\n"),
    );
    const result = await applyMigrations(factoryFor(db), { migrationsDir: dir });
    expect(result.applied).toEqual(["29990102000000_semicolons"]);
    const rows = await db.prisma.$queryRawUnsafe<{ id: number; note: string }[]>(
      'SELECT "id", "note" FROM "SemicolonProbe" ORDER BY "id"',
    );
    expect(rows).toEqual([
      { id: 1, note: "a;b" },
      { id: 2, note: "c;d" },
    ]);
  });

  it("rolls back a failing migration as a whole and reports it", async () => {
    const dir = addMigration(
      "29990103000000_broken",
      [
        'CREATE TABLE "BrokenProbe" ("id" INTEGER PRIMARY KEY);',
        'INSERT INTO "BrokenProbe" VALUES (1), (1);',
      ].join("\n"),
    );
    const failure = applyMigrations(factoryFor(db), { migrationsDir: dir });
    await expect(failure).rejects.toBeInstanceOf(MigrationError);
    await expect(failure).rejects.toThrow(/29990103000000_broken/);
    const tables = await db.prisma.$queryRawUnsafe<{ n: bigint }[]>(
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'BrokenProbe'",
    );
    expect(Number(tables[0]?.n)).toBe(0);
    const row = (await migrationRows(db)).find((r) => r.migration_name === "29990103000000_broken");
    expect(row?.finished_at).toBeNull();
    expect(row?.logs).toBeTruthy();
    // A failed migration blocks the next deploy until it is resolved, as with the Prisma CLI.
    await expect(applyMigrations(factoryFor(db), { migrationsDir: dir })).rejects.toThrow(
      /29990103000000_broken/,
    );
  });

  it("refuses an empty migrations folder with a message naming it", async () => {
    const empty = mkdtempSync(join(scratch, "empty-"));
    await expect(applyMigrations(factoryFor(db), { migrationsDir: empty })).rejects.toThrow(
      new RegExp(`No migrations found in ${empty}`),
    );
  });
});
