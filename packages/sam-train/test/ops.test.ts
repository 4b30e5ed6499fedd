import { describe, expect, it } from "vitest";
import { initTf, tf } from "../src/tf/backend.ts";
import { conv3x3Nhwc, convTranspose2x2, gatherRows, patchConv, resizeBilinear } from "../src/tf/ops.ts";
import { maxAbsDiff, randn } from "./helpers.ts";

await initTf();

const t = (shape: number[], seed: number, scale = 1) =>
  tf.tensor(
    randn(
      shape.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
    shape,
  );

/** Central finite differences of the scalar f at a few coordinates of x, vs tf's gradient there. */
function gradCheck(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, coords: number[], eps = 1e-2): number {
  const analytic = tf.grad(f)(x).dataSync();
  const base = x.dataSync().slice();
  let worst = 0;
  for (const i of coords) {
    const bump = (d: number) => {
      const v = base.slice();
      v[i] += d;
      return tf.tidy(() => f(tf.tensor(v, x.shape)).dataSync()[0]!);
    };
    const numeric = (bump(eps) - bump(-eps)) / (2 * eps);
    worst = Math.max(worst, Math.abs(numeric - analytic[i]!) / Math.max(1, Math.abs(numeric)));
  }
  return worst;
}

/** A fixed random projection so the checked scalar depends on every output element differently. */
const probe = (y: tf.Tensor, seed: number) => tf.sum(tf.mul(y, t(y.shape, seed))) as tf.Scalar;

describe("matMul-based ops equal tfjs's own forward ops", () => {
  it("patchConv (2x2 stride 2, and 1x1) == conv2d", () => {
    const x = t([2, 3, 8, 6], 1);
    for (const k of [1, 2]) {
      const w = t([5, 3, k, k], 2);
      const b = t([5], 3);
      const ref = tf.transpose(
        tf.add(
          tf.conv2d(
            tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D,
            tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D,
            k,
            "valid",
          ),
          b,
        ),
        [0, 3, 1, 2],
      );
      expect(maxAbsDiff(patchConv(x, w, b, k).dataSync(), ref.dataSync())).toBeLessThan(1e-5);
    }
  });

  it("conv3x3Nhwc (im2col) == conv2d same padding", () => {
    const x = t([1, 5, 7, 4], 4);
    const w = t([6, 4, 3, 3], 5);
    const ref = tf.conv2d(x as tf.Tensor4D, tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D, 1, "same");
    expect(maxAbsDiff(conv3x3Nhwc(x, w, null).dataSync(), ref.dataSync())).toBeLessThan(1e-5);
  });

  it("convTranspose2x2 == conv2dTranspose stride 2", () => {
    const x = t([2, 4, 3, 5], 6);
    const w = t([4, 3, 2, 2], 7);
    const b = t([3], 8);
    const ref = tf.add(
      tf.conv2dTranspose(
        tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D,
        tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D,
        [2, 6, 10, 3],
        2,
        "valid",
      ),
      b,
    );
    expect(
      maxAbsDiff(convTranspose2x2(x, w, b).dataSync(), tf.transpose(ref, [0, 3, 1, 2]).dataSync()),
    ).toBeLessThan(1e-5);
  });

  it("resizeBilinear (interpolation matrices) == resizeBilinear(halfPixelCenters) up and down", () => {
    const x = t([2, 3, 7, 5], 9);
    for (const [h, w] of [
      [28, 20],
      [3, 4],
      [7, 5],
    ] as const) {
      const ref = tf.transpose(
        tf.image.resizeBilinear(tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D, [h, w], false, true),
        [0, 3, 1, 2],
      );
      expect(maxAbsDiff(resizeBilinear(x, h, w).dataSync(), ref.dataSync())).toBeLessThan(1e-5);
    }
  });

  it("gatherRows == gather", () => {
    const table = t([7, 3], 10);
    const idx = [6, 0, 3, 3, 1];
    expect(maxAbsDiff(gatherRows(table, idx).dataSync(), tf.gather(table, idx).dataSync())).toBeLessThan(
      1e-6,
    );
  });

  it("the batch-splitting BatchMatMul equals a direct computation (transposes, batches, broadcast)", () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[3, 40, 30], [3, 30, 50], false, false],
      [[3, 30, 40], [3, 50, 30], true, true],
      [[2, 2, 40, 30], [30, 50], false, false],
      [[1, 40, 30], [4, 50, 30], false, true],
      [[60, 70], [80, 70], false, true],
    ];
    cases.forEach(([sa, sb, ta, tb], ci) => {
      const a = t(sa, 20 + ci);
      const b = t(sb, 40 + ci);
      const got = tf.matMul(a, b, ta, tb);
      const A = a.arraySync() as number[][] | number[][][] | number[][][][];
      const B = b.arraySync();
      const flat = (x: unknown): number[][][] => {
        const arr = x as number[][] | number[][][] | number[][][][];
        if (!Array.isArray(arr[0]![0])) return [arr as number[][]];
        if (!Array.isArray((arr as number[][][][])[0]![0]![0])) return arr as number[][][];
        return (arr as number[][][][]).flat();
      };
      const a3 = flat(A);
      const b3 = flat(B);
      const n = Math.max(a3.length, b3.length);
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const am = a3[a3.length === 1 ? 0 : i]!;
        const bm = b3[b3.length === 1 ? 0 : i]!;
        const ma = ta ? am[0]!.map((_, c) => am.map((r) => r[c]!)) : am;
        const mb = tb ? bm[0]!.map((_, c) => bm.map((r) => r[c]!)) : bm;
        for (const row of ma)
          for (let j = 0; j < mb[0]!.length; j++) out.push(row.reduce((s, v, k) => s + v * mb[k]![j]!, 0));
      }
      expect(maxAbsDiff(got.dataSync(), out)).toBeLessThan(1e-4);
    });
  });
});

describe("gradients of the workaround ops match finite differences", () => {
  it("patchConv w.r.t. weight and input", () => {
    const x = t([1, 2, 4, 4], 11);
    const w = t([3, 2, 2, 2], 12);
    const b = t([3], 13);
    expect(gradCheck((ww) => probe(patchConv(x, ww, b, 2), 1), w, [0, 5, 11, 23])).toBeLessThan(2e-2);
    expect(gradCheck((xx) => probe(patchConv(xx, w, b, 2), 1), x, [0, 7, 19, 31])).toBeLessThan(2e-2);
  });

  it("conv3x3Nhwc w.r.t. weight", () => {
    const x = t([1, 4, 4, 2], 14);
    const w = t([2, 2, 3, 3], 15);
    expect(gradCheck((ww) => probe(conv3x3Nhwc(x, ww, null), 2), w, [0, 4, 13, 35])).toBeLessThan(2e-2);
  });

  it("convTranspose2x2 w.r.t. weight", () => {
    const x = t([1, 3, 2, 3], 16);
    const w = t([3, 2, 2, 2], 17);
    const b = t([2], 18);
    expect(gradCheck((ww) => probe(convTranspose2x2(x, ww, b), 3), w, [0, 6, 17, 23])).toBeLessThan(2e-2);
  });

  it("resizeBilinear w.r.t. input (where tfjs's own halfPixelCenters gradient is wrong)", () => {
    const x = t([1, 1, 5, 4], 19);
    expect(gradCheck((xx) => probe(resizeBilinear(xx, 12, 9), 4), x, [0, 3, 9, 19])).toBeLessThan(2e-2);
  });

  it("gatherRows w.r.t. the table", () => {
    const table = t([5, 3], 20);
    expect(gradCheck((tt) => probe(gatherRows(tt, [4, 4, 0, 2]), 5), table, [0, 6, 12, 14])).toBeLessThan(
      2e-2,
    );
  });
});
