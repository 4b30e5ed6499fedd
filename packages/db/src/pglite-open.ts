// Opening the embedded PostgreSQL (PGlite) on a data directory, refusing directories it must not touch.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { lockDataDir } from "./data-dir-lock.ts";
import { emptyPGlite } from "./pglite-snapshot.ts";
import type { DataDirLock } from "./data-dir-lock.ts";
import { DatabaseConfigError } from "./errors.ts";

export const memoryDataDir = "memory://";

export interface OpenedPGlite {
  pglite: PGlite;
  /** Absolute data directory, or "memory://". */
  dataDir: string;
  lock?: DataDirLock;
}

function unusable(dir: string, why: string, cause?: unknown): DatabaseConfigError {
  return new DatabaseConfigError(
    "DATA_DIR",
    `${dir} is not a usable PGlite data directory (${why}) — set DATA_DIR to an empty directory or move it away`,
    cause === undefined ? undefined : { cause },
  );
}

/** Checks, without opening it, that `dir` is absent, empty, or looks like a PostgreSQL data directory. */
function inspect(dir: string): { fresh: boolean; pgVersion?: string } {
  if (!existsSync(dir)) return { fresh: true };
  if (!statSync(dir).isDirectory()) throw unusable(dir, "it is a file, not a directory");
  const entries = readdirSync(dir);
  if (entries.length === 0) return { fresh: true };
  if (!entries.includes("PG_VERSION")) {
    // PGlite would happily initialise a cluster among someone else's files.
    const sample = entries.slice(0, 3).join(", ");
    throw unusable(
      dir,
      `it holds other files (${sample}${entries.length > 3 ? ", …" : ""}) and no PG_VERSION`,
    );
  }
  return { fresh: false, pgVersion: readFileSync(`${dir}/PG_VERSION`, "utf8").trim() };
}

export async function openPGlite(dataDir: string): Promise<OpenedPGlite> {
  if (dataDir === memoryDataDir) return { pglite: await emptyPGlite(), dataDir };
  const dir = resolve(dataDir);
  const state = inspect(dir);
  try {
    // PGlite creates the directory itself but not its parents.
    mkdirSync(dirname(dir), { recursive: true });
  } catch (error) {
    throw new DatabaseConfigError(
      "DATA_DIR",
      `Cannot create ${dirname(dir)} for the PGlite data directory (${(error as Error).message}) — set DATA_DIR to a writable directory`,
      { cause: error },
    );
  }
  const lock = lockDataDir(dir, `${dir}.lock`);
  try {
    let pglite: PGlite | undefined;
    try {
      pglite = new PGlite(dir);
      await pglite.waitReady;
      await pglite.query("SELECT 1");
    } catch (error) {
      await pglite?.close().catch(() => {});
      if (state.fresh) {
        throw new DatabaseConfigError(
          "DATA_DIR",
          `Cannot create a PGlite data directory at ${dir} (${(error as Error).message}) — set DATA_DIR to a writable directory`,
          { cause: error },
        );
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw unusable(
        dir,
        `PostgreSQL ${state.pgVersion} files that this PGlite cannot open: ${reason}`,
        error,
      );
    }
    return { pglite, dataDir: dir, lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}
