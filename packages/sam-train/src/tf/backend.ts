import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { installFastBatchMatMul } from "./fast-matmul.ts";

export { tf };

let ready: Promise<void> | undefined;

/**
 * Selects tfjs's wasm backend (the only one that trains under Node here) and swaps in the faster
 * BatchMatMul. Importing `@tensorflow/tfjs` (not only tfjs-core) is what registers the gradients.
 * Idempotent; every public entry point awaits it.
 */
export function initTf(): Promise<void> {
  ready ??= (async () => {
    const ok = await tf.setBackend("wasm");
    if (!ok) throw new Error("sam-train: the tfjs wasm backend failed to initialise");
    await tf.ready();
    installFastBatchMatMul();
  })();
  return ready;
}
