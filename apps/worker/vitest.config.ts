import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// TEMPORARY until @data-engine/db ships its index.ts / testing.ts.
const dbIndex = fileURLToPath(new URL("../../packages/db/src/index.ts", import.meta.url));
const shim = existsSync(dbIndex)
  ? []
  : [
      { find: /^@data-engine\/db\/testing$/, replacement: fileURLToPath(new URL("./test/support/db-shim/testing.ts", import.meta.url)) },
      { find: /^@data-engine\/db$/, replacement: fileURLToPath(new URL("./test/support/db-shim/index.ts", import.meta.url)) },
    ];

export default defineConfig({
  resolve: { alias: shim },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Database-backed suites each open their own PGlite / PostgreSQL database; two at a time on 2 cores.
    maxWorkers: 2,
  },
});
