// Parsing and checking a PostgreSQL connection URL, with one-line errors that name DATABASE_URL.
import pg from "pg";
import { DatabaseConfigError } from "./errors.ts";

export interface PostgresTarget {
  url: string;
  host: string;
  port: number;
  user: string;
  database: string;
  /** "host:port", for messages (never includes the password). */
  address: string;
}

const setting = "DATABASE_URL";

export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseConfigError(
      setting,
      "DATABASE_URL is not a valid URL — expected postgresql://user:password@host:5432/database",
    );
  }
  if (parsed.protocol !== "postgresql:" && parsed.protocol !== "postgres:") {
    throw new DatabaseConfigError(
      setting,
      `DATABASE_URL must start with postgresql:// (got ${parsed.protocol}//) — expected postgresql://user:password@host:5432/database`,
    );
  }
  // A host given as a query parameter (e.g. a Unix socket directory) takes precedence, as in libpq.
  const host = parsed.searchParams.get("host") ?? decodeURIComponent(parsed.hostname);
  if (host === "") {
    throw new DatabaseConfigError(
      setting,
      "DATABASE_URL has no host — expected postgresql://user:password@host:5432/database",
    );
  }
  const portText = parsed.port === "" ? "5432" : parsed.port;
  const port = Number(portText);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  const user = decodeURIComponent(parsed.username);
  return { url, host, port, user, database, address: `${host}:${port}` };
}

function describeSocketError(code: string | undefined, message: string): string {
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "ETIMEDOUT":
      return "timed out";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "ECONNRESET":
      return "connection reset";
    default:
      return message.split("\n")[0] ?? message;
  }
}

/** Turns a connection failure into a DatabaseConfigError naming what to fix. */
export function connectionError(target: PostgresTarget, error: unknown): DatabaseConfigError {
  const e = (error ?? {}) as { code?: unknown; message?: unknown; errors?: unknown };
  // Node reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
  const inner = Array.isArray(e.errors) ? (e.errors[0] as { code?: unknown } | undefined) : undefined;
  const rawCode = typeof e.code === "string" ? e.code : inner?.code;
  const code = typeof rawCode === "string" ? rawCode : undefined;
  const message = typeof e.message === "string" ? e.message : String(error);
  const at = `PostgreSQL at ${target.address}`;
  const opts = { cause: error };
  switch (code) {
    case "28P01":
    case "28000":
      return new DatabaseConfigError(
        setting,
        `${at} rejected user "${target.user}" (${message}) — check the user and password in DATABASE_URL`,
        opts,
      );
    case "3D000":
      return new DatabaseConfigError(
        setting,
        `Database "${target.database}" does not exist on ${at} — create it (createdb ${target.database}) or fix the database name in DATABASE_URL`,
        opts,
      );
  }
  if (/SSL|TLS|certificate/i.test(message)) {
    return new DatabaseConfigError(
      setting,
      `Cannot connect to ${at} (${message.split("\n")[0]}) — check the sslmode in DATABASE_URL`,
      opts,
    );
  }
  return new DatabaseConfigError(
    setting,
    `Cannot connect to ${at} (${describeSocketError(code, message)}) — check DATABASE_URL`,
    opts,
  );
}

/**
 * Opens one connection and runs a trivial query, so that a wrong DATABASE_URL fails here with a clear
 * message rather than deep inside the first Prisma query or the migration engine.
 */
export async function checkPostgres(target: PostgresTarget, timeoutMs = 10_000): Promise<void> {
  const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: timeoutMs });
  // A server that drops the connection after connect would otherwise raise an unhandled 'error' event.
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    const timedOut = error instanceof Error && /timeout/i.test(error.message) && !("code" in error);
    throw connectionError(target, timedOut ? { code: "ETIMEDOUT", message: error.message } : error);
  } finally {
    await client.end().catch(() => {});
  }
}
