import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";

/*
 * tfjs-wasm runs BatchMatMul through XNNPACK only for a single batch without transpose flags; any
 * other call falls to a naive triple loop (10-15x slower), and backward passes are full of those.
 * This kernel transposes explicitly, splits the batch and calls the original kernel once per batch
 * item, so every product takes the fast path. Results equal the original kernel's (same summation).
 */

interface WasmBackendLike {
  disposeData(dataId: object): void;
}

type Args = Parameters<KernelFunc>[0];

let installed = false;

/** Multiply-adds per batch item below which the original kernel is kept. */
const SMALL_PRODUCT = 1 << 15;

export function installFastBatchMatMul(): void {
  if (installed) return;
  const get = (name: string): KernelFunc => {
    const k = tf.getKernel(name, "wasm");
    if (!k) throw new Error(`sam-train: tfjs wasm kernel ${name} is missing`);
    return k.kernelFunc;
  };
  const original = get("BatchMatMul");
  const transpose = get("Transpose");
  const reshape = get("Reshape");
  const slice = get("Slice");
  const concat = get("Concat");

  const fast: KernelFunc = (args: Args) => {
    const backend = args.backend as unknown as WasmBackendLike;
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const call = (k: KernelFunc, inputs: object, attrs: object): TensorInfo =>
      k({ inputs, backend: args.backend, attrs } as Args) as TensorInfo;
    const free = (t: TensorInfo) => backend.disposeData(t.dataId);
    const size = (s: readonly number[]) => s.reduce((x, y) => x * y, 1);
    const aOuter = a.shape.slice(0, -2);
    const bOuter = b.shape.slice(0, -2);
    const batchA = size(aOuter);
    const batchB = size(bOuter);
    const sameOuter = aOuter.length === bOuter.length && aOuter.every((d, i) => d === bOuter[i]);
    // Only equal batch shapes or a batch of one on either side; anything else keeps the original.
    if (!(sameOuter || batchA === 1 || batchB === 1) || a.dtype !== "float32") return original(args);
    const batch = Math.max(batchA, batchB);
    if (batch === 1 && !transposeA && !transposeB) return original(args);
    const ar = a.shape[a.shape.length - 2]!;
    const ac = a.shape[a.shape.length - 1]!;
    const macs = ar * ac * (transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!);
    // Tiny products (e.g. 4-wide attention heads): the per-call overhead of splitting costs more than
    // the naive loop.
    if (macs < SMALL_PRODUCT && batch > 1) return original(args);

    const to3d = (x: TensorInfo, n: number, tr: boolean): TensorInfo => {
      const r = x.shape[x.shape.length - 2]!;
      const c = x.shape[x.shape.length - 1]!;
      const x3 = call(reshape, { x }, { shape: [n, r, c] });
      if (!tr) return x3;
      const t = call(transpose, { x: x3 }, { perm: [0, 2, 1] });
      free(x3);
      return t;
    };
    const a3 = to3d(a, batchA, transposeA);
    const b3 = to3d(b, batchB, transposeB);
    const [, m, k] = a3.shape as [number, number, number];
    const n = b3.shape[2]!;
    const rank = Math.max(aOuter.length, bOuter.length);
    const outer = Array.from({ length: rank }, (_, i) =>
      Math.max(aOuter[i - rank + aOuter.length] ?? 1, bOuter[i - rank + bOuter.length] ?? 1),
    );
    const outShape = [...outer, m, n];
    const plain = { transposeA: false, transposeB: false };
    let out: TensorInfo;
    if (batch === 1) {
      out = call(original, { a: a3, b: b3 }, plain);
    } else if (batchB === 1) {
      // A shared right-hand side: one [batch*m, k] x [k, n] product.
      const a2 = call(reshape, { x: a3 }, { shape: [1, batch * m, k] });
      out = call(original, { a: a2, b: b3 }, plain);
      free(a2);
    } else {
      const parts: TensorInfo[] = [];
      for (let i = 0; i < batch; i++) {
        const ai = batchA === 1 ? a3 : call(slice, { x: a3 }, { begin: [i, 0, 0], size: [1, m, k] });
        const bi = batchB === 1 ? b3 : call(slice, { x: b3 }, { begin: [i, 0, 0], size: [1, k, n] });
        parts.push(call(original, { a: ai, b: bi }, plain));
        if (ai !== a3) free(ai);
        if (bi !== b3) free(bi);
      }
      out = call(concat, parts, { axis: 0 });
      parts.forEach(free);
    }
    free(a3);
    free(b3);
    const shaped = call(reshape, { x: out }, { shape: outShape });
    free(out);
    return shaped;
  };

  tf.unregisterKernel("BatchMatMul", "wasm");
  const cfg: KernelConfig = { kernelName: "BatchMatMul", backendName: "wasm", kernelFunc: fast };
  tf.registerKernel(cfg);
  installed = true;
}
