// Runs `next build` when apps/web/.next is missing or older than any source file it is built from.
// Used by the e2e tests' global setup; also runnable by hand: `tsx scripts/ensure-build.ts`.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SOURCES = ["src", "next.config.ts", "package.json", "tsconfig.json", "../../packages", "../../apps/worker/src"];
const SKIP = new Set(["node_modules", ".next", "test", "generated", ".data", "test-results"]);

function newestMtime(p: string): number {
  let st;
  try {
    st = statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(p)) {
    if (SKIP.has(entry) || entry.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

export function buildIsStale(root = WEB_ROOT): boolean {
  let built: number;
  try {
    built = statSync(path.join(root, ".next", "BUILD_ID")).mtimeMs;
  } catch {
    return true;
  }
  return SOURCES.some((s) => newestMtime(path.join(root, s)) > built);
}

export function ensureBuild(root = WEB_ROOT): { built: boolean } {
  if (!buildIsStale(root)) return { built: false };
  const result = spawnSync(process.execPath, [createRequire(import.meta.url).resolve("next/dist/bin/next"), "build"], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`next build failed (exit ${result.status ?? result.signal})`);
  return { built: true };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { built } = ensureBuild();
  console.log(built ? "next build done" : ".next is up to date");
}
