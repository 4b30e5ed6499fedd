// Starts the whole app in this process: services (database with migrations, storage, queue), optional
// demo seed, the embedded worker, then Next.js behind a plain http server. `server.ts` is the command
// line around it; tests call startServer() directly.
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { getServices, closeServices, seedDemo, startWorkers } from "@data-engine/worker";
import { setWebRuntime } from "../runtime.ts";
import { resolveServerConfig, ServerConfigError, type Env, type ServerConfig, type ServerOptions } from "./config.ts";
import { loadAuthSecret } from "./secrets.ts";
import { createWebRuntime } from "./web-runtime.ts";

/** apps/web: where next.config.ts and the .next build live. */
export const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface RunningServer {
  url: string;
  port: number;
  config: ServerConfig;
  close(): Promise<void>;
}

export interface StartServerOptions extends ServerOptions {
  env?: Env;
  log?: (message: string) => void;
}

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((message: string) => console.log(message));
  const config = resolveServerConfig(options, env);
  if (!existsSync(path.join(WEB_ROOT, ".next", "BUILD_ID"))) {
    throw new ServerConfigError(`No production build in ${path.join(WEB_ROOT, ".next")}: run \`npm run build -w @data-engine/web\` first`);
  }
  const authSecret = await loadAuthSecret(config.dataDir, env);

  // getServices opens the database and the files in this one folder (its own PGlite when the folder is
  // not the environment's DATA_DIR), so nothing here needs to rewrite the environment.
  const services = await getServices({ dataDir: config.dataDir });
  const cleanups: Array<() => Promise<void>> = [() => closeServices()];
  const cleanup = async () => {
    setWebRuntime(undefined);
    for (const fn of cleanups.reverse()) await fn().catch((err) => console.error("[server] shutdown:", err));
  };
  try {
    if (config.seed) {
      log("[server] seeding the demo project");
      const seeded = await seedDemo(services);
      log("[server] demo users (sign in with these; the passwords are the demo defaults unless changed):");
      for (const u of seeded.users) log(`[server]   ${u.role.padEnd(9)} ${u.email.padEnd(22)} ${u.password}`);
    }
    if (config.workerMode === "embedded") {
      const workers = await startWorkers(services);
      cleanups.push(() => workers.stop());
      log("[server] worker running in this process (WORKER_MODE=embedded)");
    } else {
      log("[server] WORKER_MODE=separate: start workers with `npm run start -w @data-engine/worker`");
    }
    setWebRuntime(createWebRuntime(services, { authSecret, oidc: config.oidc, dataDir: config.dataDir }));
    // Without NEXTAUTH_URL, next-auth builds its callback URLs from the request's Host header.
    if (!env.NEXTAUTH_URL) process.env.AUTH_TRUST_HOST ??= "true";

    // Listen first so a port of 0 resolves to the real one before Next is told about it.
    let handle: ((req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>) | null = null;
    const server = http.createServer((req, res) => {
      if (!handle) {
        res.writeHead(503, { "content-type": "text/plain", "retry-after": "1" }).end("Starting up");
        return;
      }
      handle(req, res).catch((err) => {
        console.error("[server] request failed:", err);
        if (!res.headersSent) res.writeHead(500).end("Internal error");
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const port = (server.address() as AddressInfo).port;
    const app = next({ dev: false, dir: WEB_ROOT, hostname: config.host, port, quiet: true });
    await app.prepare();
    cleanups.push(async () => {
      await (app as unknown as { close?: () => Promise<void> }).close?.();
    });
    const requestHandler = app.getRequestHandler();
    handle = (req, res) => requestHandler(req, res);

    const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
    const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;
    let closing: Promise<void> | undefined;
    return { url, port, config, close: () => (closing ??= cleanup()) };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
