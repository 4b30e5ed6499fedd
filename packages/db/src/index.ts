// Public API of @data-engine/db. Other packages import the Prisma client, its types and enums from here
// only, never from the generated folder.
export { openDatabase, openPGliteDatabase, openPostgresDatabase, resolvePGliteDir } from "./client.ts";
export type { Database, DatabaseKind, OpenDatabaseOptions } from "./client.ts";
export { getDatabase, closeDatabase } from "./singleton.ts";
export { DatabaseConfigError, MigrationError } from "./errors.ts";
export { applyMigrations } from "./migrate.ts";
export type { ApplyMigrationsOptions, ApplyMigrationsResult } from "./migrate.ts";
export {
  hashPassword,
  verifyPassword,
  passwordNeedsRehash,
  PasswordError,
  maxPasswordLength,
} from "./passwords.ts";
export * from "./generated/prisma/client.ts";
