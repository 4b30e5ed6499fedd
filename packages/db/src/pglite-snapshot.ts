// In-memory PGlites started from a cached snapshot instead of initdb. A fresh cluster costs several
// seconds of CPU and the test suites and the migration tool need many (each test file, each shadow
// database); loading a dump of one takes well under a second. Snapshots live in the temp directory,
// keyed by what they contain and by the PGlite version. Only for throwaway databases: a persistent
// data directory is always created by PGlite itself.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { resolveDependency } from "./paths.ts";

let version: string | undefined;
function pgliteVersion(): string {
  if (version !== undefined) return version;
  // The package does not export its package.json; find it above the resolved entry point.
  let dir = dirname(resolveDependency("@electric-sql/pglite"));
  for (let depth = 0; depth < 4 && version === undefined; depth++, dir = dirname(dir)) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      version = String((JSON.parse(readFileSync(candidate, "utf8")) as { version?: unknown }).version);
    }
  }
  return (version ??= "unknown");
}

function snapshotPath(key: string): string {
  const digest = createHash("sha256").update(pgliteVersion()).update("\0").update(key).digest("hex");
  return join(tmpdir(), `de-db-pglite-snapshot-${digest.slice(0, 20)}.tar`);
}

async function load(path: string): Promise<PGlite | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    const pglite = new PGlite({ dataDir: "memory://", loadDataDir: new Blob([readFileSync(path)]) });
    await pglite.waitReady;
    return pglite;
  } catch {
    return undefined; // Truncated or foreign: rebuilt below.
  }
}

/**
 * An in-memory PGlite in the state `build` leaves a fresh one in, from the snapshot named `key` when it
 * exists. `key` must change whenever `build` would produce something else.
 */
export async function snapshotPGlite(key: string, build: (pglite: PGlite) => Promise<void>): Promise<PGlite> {
  const path = snapshotPath(key);
  const loaded = await load(path);
  if (loaded !== undefined) return loaded;
  const pglite = new PGlite("memory://");
  await pglite.waitReady;
  await build(pglite);
  try {
    const dump = await pglite.dumpDataDir("none");
    // Write, then rename: concurrent processes never read a half-written snapshot.
    const partial = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
    writeFileSync(partial, new Uint8Array(await dump.arrayBuffer()));
    renameSync(partial, path);
  } catch {
    // No snapshot this time (read-only temp directory, disk full): only slower next time.
  }
  return pglite;
}

/** A fresh, empty in-memory PGlite. */
export function emptyPGlite(): Promise<PGlite> {
  return snapshotPGlite("empty", async () => {});
}
