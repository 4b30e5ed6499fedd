import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each database-backed file opens its own PGlite / PostgreSQL database; two at a time on 2 cores.
    maxWorkers: 2,
  },
});
