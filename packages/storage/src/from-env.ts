// Chooses and configures the backend from environment variables (validated by hand: no zod here).
import path from "node:path";
import { LocalStorage } from "./local.ts";
import { S3Storage, normalizeS3Prefix, type S3StorageConfig, type S3StorageOptions } from "./s3.ts";
import { StorageConfigError, type Storage } from "./storage.ts";

export type StorageConfig = { kind: "local"; root: string } | ({ kind: "s3" } & S3StorageConfig);

export type StorageEnv = Record<string, string | undefined>;

export interface FromEnvOptions {
  /** Overrides DATA_DIR for the local backend (files go to `<dataDir>/files`). */
  dataDir?: string;
}

/** Extra knobs not settable from the environment (tests use a small listPageSize). */
export type S3Tuning = Pick<S3StorageOptions, "listPageSize" | "partSize" | "queueSize" | "checkTimeoutMs">;

// Settings that only mean something for S3: if one is set without S3_BUCKET the user almost
// certainly meant S3, and silently storing files on the local disk instead would hide that.
const S3_ONLY = ["S3_ENDPOINT", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_PREFIX"] as const;

function read(env: StorageEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === "" ? undefined : value;
}

function fail(message: string, setting: string): never {
  throw new StorageConfigError(message, [setting]);
}

function parseBool(env: StorageEnv, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const v = raw.toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  return fail(`${name} must be true or false, got "${raw}"`, name);
}

export function storageConfigFromEnv(
  env: StorageEnv = process.env,
  opts: FromEnvOptions = {},
): StorageConfig {
  const bucket = read(env, "S3_BUCKET");
  if (bucket === undefined) {
    const stray = S3_ONLY.find((name) => read(env, name) !== undefined);
    if (stray)
      fail(`${stray} is set but S3_BUCKET is not — set S3_BUCKET to use S3, or unset ${stray}`, "S3_BUCKET");
    const dataDir = opts.dataDir ?? read(env, "DATA_DIR") ?? ".data";
    return { kind: "local", root: path.join(dataDir, "files") };
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/.test(bucket)) {
    fail(
      `S3_BUCKET "${bucket}" is not a valid bucket name (letters, digits, ".", "-", "_"; 2 to 255 characters)`,
      "S3_BUCKET",
    );
  }

  const endpoint = read(env, "S3_ENDPOINT");
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
      fail(`S3_ENDPOINT must be an http:// or https:// URL, got "${endpoint}"`, "S3_ENDPOINT");
    }
  }

  const region = read(env, "S3_REGION") ?? "us-east-1";
  if (!/^[a-z0-9-]+$/.test(region))
    fail(`S3_REGION "${region}" is not a region name (like "us-east-1")`, "S3_REGION");

  const accessKeyId = read(env, "S3_ACCESS_KEY_ID");
  const secretAccessKey = read(env, "S3_SECRET_ACCESS_KEY");
  if (accessKeyId !== undefined && secretAccessKey === undefined) {
    fail(
      "S3_ACCESS_KEY_ID is set but S3_SECRET_ACCESS_KEY is not — set both or neither",
      "S3_SECRET_ACCESS_KEY",
    );
  }
  if (secretAccessKey !== undefined && accessKeyId === undefined) {
    fail("S3_SECRET_ACCESS_KEY is set but S3_ACCESS_KEY_ID is not — set both or neither", "S3_ACCESS_KEY_ID");
  }

  let prefix: string;
  try {
    prefix = normalizeS3Prefix(read(env, "S3_PREFIX"));
  } catch (err) {
    fail(`S3_PREFIX is not usable as a key prefix: ${(err as Error).message}`, "S3_PREFIX");
  }

  return {
    kind: "s3",
    bucket,
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    prefix,
    // Self-hosted servers rarely have per-bucket DNS names; AWS itself prefers virtual-host style.
    forcePathStyle: parseBool(env, "S3_FORCE_PATH_STYLE", endpoint !== undefined),
  };
}

export function createStorage(config: StorageConfig, tuning: S3Tuning = {}): Storage {
  if (config.kind === "local") return new LocalStorage({ root: config.root });
  const { kind: _kind, ...s3 } = config;
  return new S3Storage({ ...s3, ...tuning });
}

export function createStorageFromEnv(env: StorageEnv = process.env, opts: FromEnvOptions = {}): Storage {
  return createStorage(storageConfigFromEnv(env, opts));
}
