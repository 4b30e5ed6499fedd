// Exit codes of the admin CLI, so scripts can tell what happened without parsing text.
export const EXIT = {
  OK: 0,
  /** A job failed, died or an unexpected error happened. */
  FAILED: 1,
  /** Bad command line or invalid parameters. */
  USAGE: 2,
  /** A named project, user, model or job does not exist. */
  NOT_FOUND: 3,
  /** The job was cancelled. */
  CANCELLED: 4,
  INTERRUPTED: 130,
} as const;

export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.USAGE,
  ) {
    super(message);
  }
}
