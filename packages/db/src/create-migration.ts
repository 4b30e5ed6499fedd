// `prisma migrate dev --create-only` without the native engine. The next migration is computed against
// a throwaway in-memory PGlite (the WASM engine cannot read a real PostgreSQL catalog for diffing): the
// existing migrations are applied to it, the engine diffs that state against the schema, and the new
// SQL is written to prisma/migrations/<timestamp>_<name>/migration.sql, then applied once more as a check.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { MigrationError } from "./errors.ts";
import { applyMigrations } from "./migrate.ts";
import { lockfileContent, lockfileName, readMigrationsDir } from "./migrations-dir.ts";
import { defaultMigrationsDir, defaultSchemaPath } from "./paths.ts";
import { emptyPGlite } from "./pglite-snapshot.ts";
import { createSchemaEngine, emptyFilters } from "./schema-engine.ts";
import { withWholeScripts } from "./whole-scripts.ts";

export interface CreateMigrationOptions {
  name: string;
  schemaPath?: string;
  migrationsDir?: string;
  /** Write an empty migration to fill by hand (e.g. a data migration) even when the schema is unchanged. */
  empty?: boolean;
}

export interface CreateMigrationResult {
  /** Directory name, `<timestamp>_<name>`; null when the schema had no changes. */
  migrationName: string | null;
  path: string | null;
  sql: string | null;
}

const namePattern = /^[a-z0-9_]{1,100}$/;

/** A PGlite factory whose shadow databases are in-memory PGlites that we close afterwards. */
function throwawayFactory(main: PGlite): {
  factory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
} {
  const base = new PrismaPGlite(main);
  const shadows: PGlite[] = [];
  return {
    factory: {
      provider: base.provider,
      adapterName: base.adapterName,
      connect: () => base.connect(),
      connectToShadowDb: async () => {
        const shadow = await emptyPGlite();
        shadows.push(shadow);
        return new PrismaPGlite(shadow).connect();
      },
    },
    close: async () => {
      await Promise.allSettled(shadows.splice(0).map((shadow) => shadow.close()));
    },
  };
}

export async function createMigration(options: CreateMigrationOptions): Promise<CreateMigrationResult> {
  if (!namePattern.test(options.name)) {
    throw new MigrationError(
      `Invalid migration name "${options.name}" — use 1-100 lowercase letters, digits and underscores (e.g. add_mask_notes)`,
    );
  }
  const schemaPath = options.schemaPath ?? defaultSchemaPath;
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir();
  const schemaText = readFileSync(schemaPath, "utf8");

  const pglite = await emptyPGlite();
  const throwaway = throwawayFactory(pglite);
  try {
    if (readMigrationsDir(migrationsDir).migrationDirectories.length > 0) {
      await applyMigrations(throwaway.factory, { migrationsDir });
    }
    const migrationsList = readMigrationsDir(migrationsDir);
    const factory = withWholeScripts(throwaway.factory);
    const engine = await createSchemaEngine(factory, { schemaPath, schemaText });
    let output;
    try {
      const diagnostic = await engine.devDiagnostic({ migrationsList, filters: emptyFilters });
      if (diagnostic.action.tag === "reset") {
        throw new MigrationError(`The migration history is inconsistent: ${diagnostic.action.reason}`);
      }
      output = await engine.createMigration({
        draft: options.empty === true,
        migrationName: options.name,
        migrationsList,
        schema: { files: [{ path: schemaPath, content: schemaText }] },
        filters: emptyFilters,
      });
    } catch (error) {
      if (error instanceof MigrationError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new MigrationError(`Creating the migration failed: ${message.trim().split("\n")[0]}`, {
        cause: error,
      });
    } finally {
      engine.free();
      await factory.disposeAll();
    }
    if (output.migrationScript === null) return { migrationName: null, path: null, sql: null };

    const dir = join(migrationsDir, output.generatedMigrationName);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `migration.${output.extension}`);
    writeFileSync(file, output.migrationScript);
    const lockPath = join(migrationsDir, lockfileName);
    if (!existsSync(lockPath)) writeFileSync(lockPath, lockfileContent);

    // The new file must apply on top of the others; better to learn it now than at the next start-up.
    await applyMigrations(throwaway.factory, { migrationsDir });
    return { migrationName: output.generatedMigrationName, path: file, sql: output.migrationScript };
  } finally {
    await throwaway.close();
    await pglite.close();
  }
}
