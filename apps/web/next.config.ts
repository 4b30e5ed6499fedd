import type { NextConfig } from "next";

// Cross-origin isolation on every response: multi-threaded onnxruntime-web needs SharedArrayBuffer,
// which Chromium only enables for cross-origin isolated pages (otherwise it silently runs 1 thread).
const isolationHeaders = [
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Cross-Origin-Embedder-Policy", value: "require-corp" },
  { key: "Cross-Origin-Resource-Policy", value: "same-origin" },
];

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // forbidden() and app/forbidden.tsx: pages answer 403 when the API refuses the signed-in user.
  experimental: { authInterrupts: true },
  // Server code never imports the workspace packages' runtime values (they arrive through the web
  // runtime on globalThis, see src/server/runtime.ts), but types and small pure helpers do.
  transpilePackages: ["@data-engine/db", "@data-engine/storage", "@data-engine/sam-core", "@data-engine/worker"],
  // Type checking is `npm run typecheck` (tsc over this package, its tests and the server bootstrap, which
  // reaches into the worker); running it again inside `next build` would double the build time.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [{ source: "/:path*", headers: isolationHeaders }];
  },
};

export default config;
