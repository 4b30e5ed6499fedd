// Turns whatever the SDK throws from HeadBucket into one line that says what failed and which
// environment setting to fix. Pure, so every branch is unit-tested without a server.
import { StorageConfigError } from "./storage.ts";

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  errors?: unknown[];
  $metadata?: { httpStatusCode?: number };
}

function asErrorLike(err: unknown): ErrorLike {
  return typeof err === "object" && err !== null ? (err as ErrorLike) : { message: String(err) };
}

function httpStatus(err: unknown): number | undefined {
  return asErrorLike(err).$metadata?.httpStatusCode;
}

/** A socket-level error code, looking inside AggregateError (Node tries IPv6 and IPv4 addresses). */
function networkCode(err: unknown): string | undefined {
  const e = asErrorLike(err);
  if (e.code && /^E[A-Z_]+$/.test(e.code)) return e.code;
  for (const inner of e.errors ?? []) {
    const code = networkCode(inner);
    if (code) return code;
  }
  return undefined;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "connection timed out",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EPROTO: "TLS handshake failed (http/https mismatch?)",
  ERR_SSL_WRONG_VERSION_NUMBER: "TLS handshake failed (http/https mismatch?)",
};

export function isS3NotFound(err: unknown): boolean {
  const e = asErrorLike(err);
  return e.name === "NoSuchKey" || e.name === "NotFound" || httpStatus(err) === 404;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export interface S3CheckContext {
  bucket: string;
  /** The endpoint as the user configured it (or AWS's default), for the message. */
  endpoint: string;
}

export function describeS3CheckFailure(err: unknown, ctx: S3CheckContext): StorageConfigError {
  const e = asErrorLike(err);
  const status = httpStatus(err);
  const where = `S3 bucket "${ctx.bucket}"`;
  const fail = (message: string, settings: string[]) =>
    new StorageConfigError(oneLine(message), settings, { cause: err });

  const code = networkCode(err);
  if (code && status === undefined) {
    const reason = NETWORK_REASONS[code] ?? code;
    return fail(`${where} not reachable at ${ctx.endpoint}: ${reason} — check S3_ENDPOINT`, ["S3_ENDPOINT"]);
  }
  if (e.name === "AbortError" || e.name === "TimeoutError") {
    return fail(`${where} not reachable at ${ctx.endpoint}: no answer in time — check S3_ENDPOINT`, [
      "S3_ENDPOINT",
    ]);
  }
  if (e.name === "CredentialsProviderError") {
    return fail(`S3 credentials missing for ${ctx.endpoint} — set S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY`, [
      "S3_ACCESS_KEY_ID",
      "S3_SECRET_ACCESS_KEY",
    ]);
  }
  if (
    status === 401 ||
    status === 403 ||
    e.name === "InvalidAccessKeyId" ||
    e.name === "SignatureDoesNotMatch" ||
    e.name === "AccessDenied" ||
    e.name === "Forbidden"
  ) {
    return fail(
      `S3 credentials rejected by ${ctx.endpoint} for bucket "${ctx.bucket}" — check S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY`,
      ["S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"],
    );
  }
  if (status === 404 || e.name === "NoSuchBucket" || e.name === "NotFound") {
    return fail(`${where} does not exist at ${ctx.endpoint} — check S3_BUCKET`, ["S3_BUCKET"]);
  }
  if (status === 301 || e.name === "PermanentRedirect" || e.name === "AuthorizationHeaderMalformed") {
    return fail(`${where} lives in another region than the one configured — check S3_REGION`, ["S3_REGION"]);
  }
  const detail = e.message || e.name || "unknown error";
  return fail(
    `${where} check failed at ${ctx.endpoint}${status ? ` (HTTP ${status})` : ""}: ${detail} — check S3_ENDPOINT / S3_BUCKET`,
    ["S3_ENDPOINT", "S3_BUCKET"],
  );
}
