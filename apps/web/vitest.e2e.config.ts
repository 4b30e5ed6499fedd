import { defineConfig } from "vitest/config";

// Browser tests: a real server (production build, seeded demo) driven through Debian's Chromium.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    fileParallelism: false,
    pool: "forks",
  },
});
