import { describe, expect, it } from "vitest";
import { diceLoss, focalLoss, maskIou } from "../src/loss.ts";
import { initTf, tf } from "../src/tf/backend.ts";

await initTf();

const logits = [
  [2.5, -1, 0.3, -4, 7, -0.2],
  [-3, -3, 1, 1, 0, 12],
];
const target = [
  [1, 0, 0, 0, 1, 1],
  [0, 1, 1, 1, 0, 1],
];

// Hand-written from the definitions (float64): sigmoid, BCE, focal (alpha 0.25, gamma 2), dice with +1 smoothing.
const sig = (x: number) => 1 / (1 + Math.exp(-x));
function focalRef(x: number[], t: number[]): number {
  let s = 0;
  x.forEach((v, i) => {
    const p = sig(v);
    const ce = -(t[i]! * Math.log(p) + (1 - t[i]!) * Math.log(1 - p));
    const pt = t[i] ? p : 1 - p;
    const at = t[i] ? 0.25 : 0.75;
    s += at * (1 - pt) ** 2 * ce;
  });
  return s / x.length;
}
function diceRef(x: number[], t: number[]): number {
  const p = x.map(sig);
  const inter = p.reduce((a, v, i) => a + v * t[i]!, 0);
  return 1 - (2 * inter + 1) / (p.reduce((a, b) => a + b, 0) + t.reduce((a, b) => a + b, 0) + 1);
}

describe("loss", () => {
  it("focal loss equals the definition per row", () => {
    const got = focalLoss(tf.tensor2d(logits), tf.tensor2d(target)).dataSync();
    logits.forEach((x, r) => expect(got[r]).toBeCloseTo(focalRef(x, target[r]!), 6));
  });

  it("dice loss equals the definition per row", () => {
    const got = diceLoss(tf.tensor2d(logits), tf.tensor2d(target)).dataSync();
    logits.forEach((x, r) => expect(got[r]).toBeCloseTo(diceRef(x, target[r]!), 6));
  });

  it("focal loss stays finite for very confident logits", () => {
    const v = focalLoss(tf.tensor2d([[200, -200]]), tf.tensor2d([[0, 1]])).dataSync()[0]!;
    expect(Number.isFinite(v)).toBe(true);
    // p_t -> 0: the modulating factor is 1, the weighted BCE is (0.75 * 200 + 0.25 * 200) / 2
    expect(v).toBeCloseTo(100, 3);
  });

  it("maskIou thresholds logits at 0", () => {
    const iou = maskIou(logits.flat(), target.flat(), 2, 6);
    // row 0: pred {0,2,4}, truth {0,4,5}: inter 2, union 4; row 1: pred {2,3,5}, truth {1,2,3,5}: 3/4
    expect(Array.from(iou)).toEqual([0.5, 0.75]);
  });
});
