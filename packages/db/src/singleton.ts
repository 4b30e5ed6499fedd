// The process-wide database. Kept on globalThis rather than in a module variable: Next.js bundles each
// route handler (and instrumentation.ts) with its own copy of this module, and a second PGlite on the
// same data directory in one process would corrupt it.
import { openDatabase } from "./client.ts";
import type { Database } from "./client.ts";

const key = Symbol.for("@data-engine/db/database");
type GlobalWithDatabase = typeof globalThis & { [key]?: Promise<Database> };

/**
 * The shared database of this process, opened (and migrated) on first use from DATABASE_URL / DATA_DIR.
 * Concurrent first calls share one opening. A failed opening is not cached: the next call retries.
 */
export function getDatabase(): Promise<Database> {
  const g = globalThis as GlobalWithDatabase;
  const existing = g[key];
  if (existing !== undefined) return existing;
  const opening = openDatabase().then((database): Database => ({
    ...database,
    close: async () => {
      if (g[key] === opening) delete g[key];
      await database.close();
    },
  }));
  g[key] = opening;
  opening.catch(() => {
    if (g[key] === opening) delete g[key];
  });
  return opening;
}

/** Closes the shared database if it was opened; the next getDatabase() opens a new one. */
export async function closeDatabase(): Promise<void> {
  const g = globalThis as GlobalWithDatabase;
  const opening = g[key];
  if (opening === undefined) return;
  delete g[key];
  const database = await opening.catch(() => undefined);
  await database?.close();
}
