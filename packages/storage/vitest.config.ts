import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Two shared cores; the S3 tests start their own s3rver process.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The pinned AWS SDK warns on every worker that releases from 2027 need Node 22; noise in tests.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
