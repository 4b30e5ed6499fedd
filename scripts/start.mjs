#!/usr/bin/env node
// `npm start`: builds the web app when its sources changed (turbo caches the build), then runs the
// one-process server (web + worker) with the demo seed. Arguments are passed to the server.
import { spawnSync, spawn } from "node:child_process";

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", NEXT_TELEMETRY_DISABLED: "1" };
const build = spawnSync("npx", ["turbo", "run", "build", "--filter=@data-engine/web", "--output-logs=errors-only", "--env-mode=loose"], {
  stdio: "inherit",
  env,
});
if (build.status !== 0) {
  console.error("The web app failed to build (see above).");
  process.exit(build.status ?? 1);
}
// node itself (not an npx wrapper) so that signals reach the server process.
const server = spawn(process.execPath, ["--import", "tsx", "apps/web/server.ts", "--seed", ...process.argv.slice(2)], { stdio: "inherit", env });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.kill(sig));
server.on("close", (code) => process.exit(code ?? 0));
