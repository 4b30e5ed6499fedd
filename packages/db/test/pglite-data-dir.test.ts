import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseConfigError, openDatabase } from "../src/index.ts";
import type { Database } from "../src/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "de-db-pglite-"));
// Nested parents that do not exist yet: openDatabase must create them.
const appDir = join(scratch, "nested", "app");
const pgliteDir = join(appDir, "pglite");
const lockFile = `${pgliteDir}.lock`;
const migrationCount = readdirSync(new URL("../../../prisma/migrations/", import.meta.url), {
  withFileTypes: true,
}).filter((entry) => entry.isDirectory()).length;

const savedUrl = process.env.DATABASE_URL;
let db: Database | undefined;

beforeAll(() => {
  delete process.env.DATABASE_URL;
});

afterAll(async () => {
  await db?.close();
  if (savedUrl !== undefined) process.env.DATABASE_URL = savedUrl;
  rmSync(scratch, { recursive: true, force: true });
});

async function openError(dataDir: string): Promise<DatabaseConfigError> {
  const error = await openDatabase({ dataDir }).then(
    async (opened) => {
      await opened.close();
      return new Error("openDatabase unexpectedly succeeded");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatabaseConfigError);
  expect((error as Error).message).not.toContain("\n");
  return error as DatabaseConfigError;
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  return child.pid as number;
}

describe("PGlite data directory", () => {
  it("is created under <dataDir>/pglite, migrated, and locked by this process", async () => {
    db = await openDatabase({ dataDir: appDir });
    expect(db.kind).toBe("pglite");
    expect(db.dataDir).toBe(pgliteDir);
    expect(existsSync(join(pgliteDir, "PG_VERSION"))).toBe(true);
    expect(JSON.parse(readFileSync(lockFile, "utf8"))).toMatchObject({ pid: process.pid });
    await db.prisma.user.create({ data: { email: "persist@example.test", name: "Persisted" } });
  });

  it("refuses a second opening in the same process", async () => {
    const error = await openError(appDir);
    expect(error.message).toMatch(/is already open in this process/);
  });

  it("refuses another process with the owner's pid in the message", () => {
    const child = spawnSync(process.execPath, ["--import", "tsx", "test/fixtures/open-data-dir.ts", appDir], {
      cwd: new URL("..", import.meta.url).pathname,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.status).toBe(1);
    expect(child.stderr.trim()).toBe(
      `DatabaseConfigError: PGlite data directory ${pgliteDir} is in use by another process (pid ${process.pid} on ${JSON.parse(readFileSync(lockFile, "utf8")).hostname}, since ${JSON.parse(readFileSync(lockFile, "utf8")).startedAt}); PGlite allows one process per directory — stop it, set DATA_DIR to another directory or set DATABASE_URL to use PostgreSQL (if no such process runs, delete ${lockFile})`,
    );
  });

  it("keeps the data across close and reopen, with nothing left to migrate", async () => {
    await db!.close();
    db = undefined;
    expect(existsSync(lockFile)).toBe(false);
    db = await openDatabase({ dataDir: appDir });
    const user = await db.prisma.user.findUnique({ where: { email: "persist@example.test" } });
    expect(user?.name).toBe("Persisted");
    const rows = await db.prisma.$queryRawUnsafe<{ n: bigint }[]>(
      'SELECT count(*) AS n FROM "_prisma_migrations"',
    );
    expect(Number(rows[0]?.n)).toBe(migrationCount);
    await db.close();
    db = undefined;
  });

  it("refuses a lock held by another live process", async () => {
    const owner = process.ppid;
    writeFileSync(lockFile, JSON.stringify({ pid: owner, hostname: "elsewhere", startedAt: "then" }));
    const error = await openError(appDir);
    expect(error.message).toMatch(
      new RegExp(`in use by another process \\(pid ${owner} on elsewhere, since then\\)`),
    );
    rmSync(lockFile);
  });

  it("takes over a lock left by a process that is gone", async () => {
    const pid = deadPid();
    writeFileSync(lockFile, JSON.stringify({ pid, hostname: "old", startedAt: "then" }));
    db = await openDatabase({ dataDir: appDir });
    expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).toBe(process.pid);
    expect(await db.prisma.user.count()).toBe(1);
    await db.close();
    db = undefined;
  });

  it("refuses a directory holding someone else's files, and leaves it untouched", async () => {
    const foreign = join(scratch, "foreign");
    mkdirSync(join(foreign, "pglite"), { recursive: true });
    writeFileSync(join(foreign, "pglite", "notes.txt"), "mine");
    const error = await openError(foreign);
    expect(error.setting).toBe("DATA_DIR");
    expect(error.message).toBe(
      `${join(foreign, "pglite")} is not a usable PGlite data directory (it holds other files (notes.txt) and no PG_VERSION) — set DATA_DIR to an empty directory or move it away`,
    );
    expect(readdirSync(join(foreign, "pglite"))).toEqual(["notes.txt"]);
  });

  it("refuses the files of another PostgreSQL version", async () => {
    const older = join(scratch, "older");
    cpSync(pgliteDir, join(older, "pglite"), { recursive: true });
    writeFileSync(join(older, "pglite", "PG_VERSION"), "16\n");
    const error = await openError(older);
    expect(error.message).toMatch(
      new RegExp(
        `^${join(older, "pglite")} is not a usable PGlite data directory \\(PostgreSQL 16 files that this PGlite cannot open: .+\\) — set DATA_DIR to an empty directory or move it away$`,
      ),
    );
    expect(existsSync(`${join(older, "pglite")}.lock`)).toBe(false);
  });

  it("refuses a corrupted cluster", async () => {
    const corrupt = join(scratch, "corrupt");
    cpSync(pgliteDir, join(corrupt, "pglite"), { recursive: true });
    writeFileSync(join(corrupt, "pglite", "global", "pg_control"), "not a control file");
    const error = await openError(corrupt);
    expect(error.message).toMatch(
      /is not a usable PGlite data directory .* — set DATA_DIR to an empty directory/,
    );
  });

  it("refuses a data directory that is a file", async () => {
    const fileDir = join(scratch, "file");
    mkdirSync(fileDir);
    writeFileSync(join(fileDir, "pglite"), "");
    const error = await openError(fileDir);
    expect(error.message).toMatch(/is not a usable PGlite data directory \(it is a file, not a directory\)/);
  });
});
