// One process per PGlite data directory. PGlite is PostgreSQL in single-user mode inside this process:
// it has no postmaster to arbitrate, and two processes writing the same files corrupt them. A lock file
// next to the directory records the owner's pid; a lock whose process is gone is taken over.
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { DatabaseConfigError } from "./errors.ts";

interface LockContent {
  pid: number;
  hostname: string;
  startedAt: string;
}

// Directories this process holds. A lock file naming our own pid but absent from this set is stale
// (e.g. a container restarted with the same pid 1).
const heldKey = Symbol.for("@data-engine/db/held-data-dir-locks");
type GlobalWithHeld = typeof globalThis & { [heldKey]?: Set<string> };
function held(): Set<string> {
  const g = globalThis as GlobalWithHeld;
  return (g[heldKey] ??= new Set());
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(path: string): LockContent | undefined {
  try {
    const content = JSON.parse(readFileSync(path, "utf8")) as Partial<LockContent>;
    if (typeof content.pid !== "number") return undefined;
    return {
      pid: content.pid,
      hostname: String(content.hostname ?? "?"),
      startedAt: String(content.startedAt ?? "?"),
    };
  } catch {
    return undefined;
  }
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  const content: LockContent = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
  };
  try {
    writeSync(fd, `${JSON.stringify(content)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

export interface DataDirLock {
  path: string;
  release(): void;
}

/**
 * Takes the lock file `lockPath` for the data directory `dataDir` or throws a DatabaseConfigError that
 * names the process holding it.
 */
export function lockDataDir(dataDir: string, lockPath: string): DataDirLock {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(lockPath)) return registered(dataDir, lockPath);
    const owner = readLock(lockPath);
    const ours = owner?.pid === process.pid;
    if (ours && held().has(dataDir)) {
      throw new DatabaseConfigError(
        "DATA_DIR",
        `PGlite data directory ${dataDir} is already open in this process — share one instance (getDatabase()) instead of opening it twice`,
      );
    }
    if (owner !== undefined && !ours && processAlive(owner.pid)) {
      throw new DatabaseConfigError(
        "DATA_DIR",
        `PGlite data directory ${dataDir} is in use by another process (pid ${owner.pid} on ${owner.hostname}, since ${owner.startedAt}); PGlite allows one process per directory — stop it, set DATA_DIR to another directory or set DATABASE_URL to use PostgreSQL (if no such process runs, delete ${lockPath})`,
      );
    }
    // Stale (or unreadable, e.g. half-written by a crash). Renaming is atomic: when two processes race
    // to take over, only one rename succeeds and the other starts over and finds the winner's lock.
    try {
      const aside = `${lockPath}.stale-${process.pid}-${Date.now()}`;
      renameSync(lockPath, aside);
      unlinkSync(aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  throw new DatabaseConfigError(
    "DATA_DIR",
    `Could not take the lock ${lockPath} for PGlite data directory ${dataDir}`,
  );
}

function registered(dataDir: string, lockPath: string): DataDirLock {
  held().add(dataDir);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    held().delete(dataDir);
    process.removeListener("exit", release);
    if (readLock(lockPath)?.pid === process.pid) {
      try {
        unlinkSync(lockPath);
      } catch {
        // Already gone: nothing to release.
      }
    }
  };
  // A process that exits without closing the database should not leave a lock behind (a crash still
  // can; the next start takes it over because the pid is gone).
  process.on("exit", release);
  return { path: lockPath, release };
}
