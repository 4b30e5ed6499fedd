// Browser (and Node) entry over onnxruntime-web's wasm backend.
import * as ortWeb from "onnxruntime-web";
import type { OrtBackend, SessionOptions } from "./runtime/index.ts";
import { createOrtBackend } from "./runtime/index.ts";
import type { OrtModuleLike } from "./runtime/index.ts";

export * from "./index.ts";

export interface WebRuntimeConfig {
  /** Where the ort-wasm-*.wasm/.mjs files are served from (browser apps that do not bundle them). */
  wasmPaths?: string;
  /** Wasm threads; >1 needs cross-origin isolation in browsers (COOP/COEP), else it falls back to 1. */
  numThreads?: number;
  /** SIMD is on by default; kept for old browsers. */
  simd?: boolean;
}

/** Process-wide wasm settings: take effect only before the first session is created. */
export function configureWebRuntime(cfg: WebRuntimeConfig): void {
  if (cfg.wasmPaths !== undefined) ortWeb.env.wasm.wasmPaths = cfg.wasmPaths;
  if (cfg.numThreads !== undefined) ortWeb.env.wasm.numThreads = cfg.numThreads;
  if (cfg.simd !== undefined) (ortWeb.env.wasm as { simd?: boolean }).simd = cfg.simd;
}

let webBackend: OrtBackend | undefined;
let sessionsCreated = 0;

/**
 * The onnxruntime-web (wasm) backend; works in browsers, Web Workers and Node.
 *
 * Session options are left at onnxruntime-web's defaults on purpose. Measured in headless Chromium on
 * the shared 2-core machine (bench/web-session-options.ts, decoder predictLowRes): intra-op spinning off
 * was 1.09x, 1.38x and 1.60x slower with 2 threads in three runs; memory arena + pattern (0.87-1.27x) and
 * "extended" optimisation (0.86-1.17x) moved both ways between runs, within the spread of an A/A control
 * (0.86-1.12x), so neither measurably helps.
 */
export function createWebBackend(): OrtBackend {
  webBackend ??= createOrtBackend({
    name: "onnxruntime-web",
    ort: ortWeb as unknown as OrtModuleLike,
    sessionOptions(opts: SessionOptions) {
      // Wasm threads are a property of the runtime instance, fixed when it first initialises.
      if (opts.threads !== undefined && sessionsCreated === 0) ortWeb.env.wasm.numThreads = opts.threads;
      sessionsCreated++;
      const o: Record<string, unknown> = { graphOptimizationLevel: opts.graphOptimizationLevel ?? "all", executionProviders: ["wasm"] };
      if (opts.externalData?.length) o.externalData = opts.externalData.map((f) => ({ path: f.path, data: f.data }));
      return o;
    },
  });
  return webBackend;
}
