#!/usr/bin/env node
// The README's test command (`npm test`): runs every package's vitest suite through turbo on the embedded
// PGlite default, then — when TEST_POSTGRES_URL names a PostgreSQL server — runs the database-backed
// packages again on a fresh PostgreSQL database per test file. Prints one summary line
// "N passed, N failed" that CI reads.
import { spawn } from "node:child_process";

const DB_PACKAGES = ["@data-engine/db", "@data-engine/worker", "@data-engine/web"];
const extraArgs = process.argv.slice(2);

function run(label, task, args, env) {
  return new Promise((resolve) => {
    console.log(`\n=== ${label} ===`);
    const child = spawn("npx", ["turbo", "run", task, "--concurrency=1", "--continue", "--output-logs=full", "--env-mode=loose", ...args, ...extraArgs], {
      env: { ...process.env, ...env, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    const onData = (stream) => (chunk) => {
      stream.write(chunk);
      text += chunk.toString();
    };
    child.stdout.on("data", onData(process.stdout));
    child.stderr.on("data", onData(process.stderr));
    child.on("close", (code) => resolve({ code: code ?? 1, text }));
  });
}

// ANSI colour codes, should a tool print them despite FORCE_COLOR=0.
const ESC = String.fromCharCode(27);
const stripAnsi = (s) => s.split(ESC).map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*m/, ""))).join("");

// vitest prints e.g. "Tests  3 failed | 120 passed | 2 skipped (125)".
function count(text) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const line of text.split("\n")) {
    const m = /^\S*[\s:]*Tests\s+(.*)\(\d+\)\s*$/.exec(stripAnsi(line).trim());
    if (!m) continue;
    for (const part of m[1].split("|")) {
      const p = /(\d+)\s+(passed|failed|skipped|todo)/.exec(part);
      if (!p) continue;
      const n = Number(p[1]);
      if (p[2] === "passed") passed += n;
      else if (p[2] === "failed") failed += n;
      else skipped += n;
    }
  }
  return { passed, failed, skipped };
}

const runs = [await run("all packages on embedded PGlite", "test", [], { TEST_DATABASE: "pglite" })];
if (process.env.TEST_POSTGRES_URL) {
  const filters = DB_PACKAGES.flatMap((p) => ["--filter", p]);
  // `test:db` is each package's database-backed suite; the browser tests always run on PGlite, so they
  // are not repeated here.
  runs.push(await run(`database-backed packages on PostgreSQL (${process.env.TEST_POSTGRES_URL})`, "test:db", filters, { TEST_DATABASE: "postgres" }));
} else {
  console.log("\nTEST_POSTGRES_URL is not set: the PostgreSQL pass is skipped (CI sets it).");
}

const total = runs.map((r) => count(r.text)).reduce((a, b) => ({ passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped }));
const exitCode = runs.some((r) => r.code !== 0) ? 1 : 0;
const failed = exitCode !== 0 && total.failed === 0 ? 1 : total.failed; // a crashed suite counts as a failure
console.log(`\n${total.passed} passed, ${failed} failed, ${total.skipped} skipped`);
process.exit(exitCode);
