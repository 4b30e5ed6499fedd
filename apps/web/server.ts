// Starts the data engine web app: `node --import tsx server.ts [--seed] [--port N] [--host H] [--data-dir D]`.
// Run it with node directly (not `next start`, not an npx wrapper) so SIGTERM reaches this process.
import { parseArgs } from "node:util";
import { parsePort } from "./src/server/bootstrap/config.ts";
import { startServer } from "./src/server/bootstrap/start-server.ts";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: "boolean" },
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      worker: { type: "string" },
    },
  });
  const worker = values.worker;
  if (worker !== undefined && worker !== "embedded" && worker !== "separate") {
    throw new Error(`--worker must be "embedded" or "separate", got "${worker}"`);
  }
  const server = await startServer({
    seed: values.seed,
    port: parsePort(values.port, "--port"),
    host: values.host,
    dataDir: values["data-dir"],
    workerMode: worker,
  });
  console.log(`[server] data engine ready on ${server.url} (data in ${server.config.dataDir})`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[server] ${signal}: shutting down`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  console.error(`[server] failed to start: ${err instanceof Error ? err.message : String(err)}`);
  // A configuration error is one line naming the setting to fix; other failures show where they came from.
  const configError = err instanceof Error && /ConfigError$/.test(err.name);
  if (err instanceof Error && err.stack && (!configError || process.env.DEBUG)) console.error(err.stack);
  process.exit(1);
});
