// Server settings from the environment and start options, validated with messages that name the setting.
import path from "node:path";
import type { OidcSettings } from "../runtime.ts";

export type WorkerMode = "embedded" | "separate";
export type Env = Record<string, string | undefined>;

export class ServerConfigError extends Error {
  override name = "ServerConfigError";
}

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  seed: boolean;
  workerMode: WorkerMode;
  oidc: OidcSettings | null;
}

export interface ServerOptions {
  /** 0 picks a free port. Default: PORT or 3000. */
  port?: number;
  /** Default: HOST or 127.0.0.1. */
  host?: string;
  /** Default: DATA_DIR or ./.data. */
  dataDir?: string;
  /** Seed the demo project and users (default: SEED_DEMO=1). */
  seed?: boolean;
  workerMode?: WorkerMode;
}

const read = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};

export function parsePort(raw: string | undefined, name = "PORT"): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ServerConfigError(`${name} must be a port number 0-65535, got "${raw}"`);
  return n;
}

function parseBool(raw: string | undefined, name: string): boolean | undefined {
  if (raw === undefined) return undefined;
  const v = raw.toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ServerConfigError(`${name} must be true or false, got "${raw}"`);
}

export function oidcFromEnv(env: Env): OidcSettings | null {
  const issuer = read(env, "OIDC_ISSUER");
  const clientId = read(env, "OIDC_CLIENT_ID");
  const clientSecret = read(env, "OIDC_CLIENT_SECRET");
  const set = [issuer, clientId, clientSecret].filter((v) => v !== undefined).length;
  if (set === 0) return null;
  if (set < 3) {
    const missing = [["OIDC_ISSUER", issuer], ["OIDC_CLIENT_ID", clientId], ["OIDC_CLIENT_SECRET", clientSecret]].filter(([, v]) => v === undefined).map(([n]) => n);
    throw new ServerConfigError(`OIDC sign-in needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET; missing ${missing.join(", ")}`);
  }
  try {
    const url = new URL(issuer!);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http(s)");
  } catch {
    throw new ServerConfigError(`OIDC_ISSUER must be an http(s) URL, got "${issuer}"`);
  }
  return { issuer: issuer!, clientId: clientId!, clientSecret: clientSecret!, name: read(env, "OIDC_NAME") ?? "Single sign-on" };
}

export function resolveServerConfig(options: ServerOptions, env: Env): ServerConfig {
  const modeRaw = read(env, "WORKER_MODE");
  if (modeRaw !== undefined && modeRaw !== "embedded" && modeRaw !== "separate") {
    throw new ServerConfigError(`WORKER_MODE must be "embedded" or "separate", got "${modeRaw}"`);
  }
  // With PostgreSQL, workers are meant to run as their own processes; PGlite lives in this process only.
  const defaultMode: WorkerMode = read(env, "DATABASE_URL") ? "separate" : "embedded";
  return {
    port: options.port ?? parsePort(read(env, "PORT")) ?? 3000,
    host: options.host ?? read(env, "HOST") ?? "127.0.0.1",
    dataDir: path.resolve(options.dataDir ?? read(env, "DATA_DIR") ?? ".data"),
    seed: options.seed ?? parseBool(read(env, "SEED_DEMO"), "SEED_DEMO") ?? false,
    workerMode: options.workerMode ?? (modeRaw as WorkerMode | undefined) ?? defaultMode,
    oidc: oidcFromEnv(env),
  };
}
