// Errors callers are expected to show to a person as they are: one line that names the setting to fix.
// The original error, when there is one, stays available as `cause` for logs.

/** The database settings (DATABASE_URL, DATA_DIR, …) point at something unusable. */
export class DatabaseConfigError extends Error {
  override name = "DatabaseConfigError";
  /** The environment variable or option the user should change. */
  readonly setting: string;

  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.setting = setting;
  }
}

/** The migrations could not be read or applied (a failed migration, an edited one, a lock timeout). */
export class MigrationError extends Error {
  override name = "MigrationError";
}
