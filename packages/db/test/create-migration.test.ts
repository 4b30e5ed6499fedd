import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MigrationError } from "../src/index.ts";
import { createMigration } from "../src/create-migration.ts";

const repoMigrations = new URL("../../../prisma/migrations/", import.meta.url).pathname;
const repoSchema = new URL("../../../prisma/schema.prisma", import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "de-db-create-"));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function copyOfMigrations(): string {
  const dir = join(scratch, `migrations-${readdirSync(scratch).length}`);
  cpSync(repoMigrations, dir, { recursive: true });
  return dir;
}

describe("createMigration", () => {
  it("finds prisma/schema.prisma and prisma/migrations in step (no migration pending)", async () => {
    const migrationsDir = copyOfMigrations();
    const before = readdirSync(migrationsDir).sort();
    const result = await createMigration({ name: "pending_check", migrationsDir, schemaPath: repoSchema });
    expect(result).toEqual({ migrationName: null, path: null, sql: null });
    expect(readdirSync(migrationsDir).sort()).toEqual(before);
  });

  it("writes the next migration for a schema change", async () => {
    const migrationsDir = copyOfMigrations();
    const schemaPath = join(scratch, "schema.prisma");
    writeFileSync(
      schemaPath,
      `${readFileSync(repoSchema, "utf8")}\nmodel Note {\n  id   String @id\n  body String\n}\n`,
    );
    const result = await createMigration({ name: "add_note", migrationsDir, schemaPath });
    expect(result.migrationName).toMatch(/^\d{14}_add_note$/);
    const written = readFileSync(
      join(migrationsDir, result.migrationName as string, "migration.sql"),
      "utf8",
    );
    expect(written).toBe(result.sql);
    expect(written).toMatch(/CREATE TABLE "Note" \(\s*"id" TEXT NOT NULL,\s*"body" TEXT NOT NULL/);
    expect(written).not.toMatch(/CREATE TABLE "User"/);
    // Sorted after every existing migration, so deploy applies it last.
    expect(
      readdirSync(migrationsDir)
        .filter((name) => name !== "migration_lock.toml")
        .sort()
        .at(-1),
    ).toBe(result.migrationName);
  });

  it("rejects names that would not make a clean directory name", async () => {
    await expect(
      createMigration({ name: "Add Note!", migrationsDir: copyOfMigrations() }),
    ).rejects.toBeInstanceOf(MigrationError);
  });
});
