import { existsSync } from "node:fs";
import { defineConfig } from "vitest/config";

// Browser tests: a real server (production build, seeded demo) driven through Debian's Chromium.
// Without a Chromium binary they are skipped with a message on a developer's machine; in CI they must run.
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(chromium);
if (!haveChromium && process.env.CI !== "true") {
  console.warn(
    `[e2e] SKIPPED: no Chromium at ${chromium}. Install Debian's chromium package or set CHROMIUM_PATH to run the browser tests.`,
  );
}
const skip = !haveChromium && process.env.CI !== "true";

export default defineConfig({
  test: {
    include: skip ? [] : ["test/e2e/**/*.e2e.ts"],
    passWithNoTests: skip,
    globalSetup: skip ? [] : ["test/e2e/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    fileParallelism: false,
    pool: "forks",
  },
});
