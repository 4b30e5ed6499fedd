import { describe, expect, it } from "vitest";
import { MaskInputError } from "../../src/mask/errors.ts";
import { stabilityScore, stabilityScores } from "../../src/mask/stability.ts";
import { rng } from "./helpers.ts";

describe("stability score", () => {
  it("hand example: strict > on both thresholds", () => {
    // threshold 0, offset 1: > 1 -> {2, 3}; > -1 -> {-0.5, 0, 1, 2, 3} (1 and -1 themselves are excluded
    // from the first and second sets respectively).
    const logits = Float32Array.from([-2, -1, -0.5, 0, 1, 2, 3]);
    expect(stabilityScore(logits)).toBeCloseTo(2 / 5, 12);
    // threshold 0.5, offset 0.5: > 1 -> {2, 3}; > 0 -> {1, 2, 3}
    expect(stabilityScore(logits, 0.5, 0.5)).toBeCloseTo(2 / 3, 12);
  });

  it("0/0 gives 0 (documented choice) and a fully confident mask gives 1", () => {
    expect(stabilityScore(new Float32Array([-5, -5]))).toBe(0);
    expect(stabilityScore(new Float32Array([5, 5]))).toBe(1);
  });

  it("batched scores equal per-mask scores computed separately", () => {
    const r = rng(2);
    const count = 5;
    const per = 37 * 23;
    const logits = new Float32Array(count * per).map(() => (r() - 0.5) * 8);
    const batched = stabilityScores(logits, count, 0, 1);
    for (let k = 0; k < count; k++) {
      const slice = Array.from(logits.subarray(k * per, (k + 1) * per));
      const inter = slice.filter((v) => v > 1).length;
      const union = slice.filter((v) => v > -1).length;
      expect(batched[k]).toBeCloseTo(inter / union, 12);
    }
  });

  it("rejects logits that do not split into the given number of masks", () => {
    expect(() => stabilityScores(new Float32Array(10), 3)).toThrow(MaskInputError);
    expect(() => stabilityScores(new Float32Array(10), 3)).toThrow(/10 logits do not split into 3/);
    expect(stabilityScores(new Float32Array(0), 0).length).toBe(0);
  });
});
