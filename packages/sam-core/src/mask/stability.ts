/**
 * SAM's stability score: how much a mask changes when the binarisation threshold moves by ±offset.
 * `area(logits > threshold + offset) / area(logits > threshold - offset)`, both with a strict `>` as in
 * segment_anything's `calculate_stability_score`.
 *
 * 0/0 (no logit above threshold - offset): the reference divides and gets NaN. We return 0 instead: a
 * NaN passes no `>=` filter anyway, so the filtering result is the same, but a 0 can be stored, sorted
 * and serialised to JSON (where NaN becomes null) without surprises. An empty mask is not stable.
 */
import { MaskInputError } from "./errors.ts";

/**
 * Scores for `count` masks stored back to back in `logits` (e.g. an ONNX `[1, C, H, W]` output with
 * count = C), in one pass over the data.
 */
export function stabilityScores(
  logits: ArrayLike<number>,
  count: number,
  maskThreshold = 0,
  offset = 1,
): Float64Array {
  if (!Number.isInteger(count) || count < 0) {
    throw new MaskInputError(`mask count must be a non-negative integer, got ${count}`);
  }
  if (count === 0) {
    if (logits.length !== 0) throw new MaskInputError(`0 masks but ${logits.length} logits`);
    return new Float64Array(0);
  }
  if (logits.length % count !== 0) {
    throw new MaskInputError(`${logits.length} logits do not split into ${count} masks of equal size`);
  }
  const hi = maskThreshold + offset;
  const lo = maskThreshold - offset;
  const per = logits.length / count;
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    let inter = 0;
    let union = 0;
    for (let i = k * per, e = i + per; i < e; i++) {
      const v = logits[i]!;
      if (v > hi) inter++;
      if (v > lo) union++;
    }
    out[k] = union === 0 ? 0 : inter / union;
  }
  return out;
}

/** Score of a single mask's logits. */
export function stabilityScore(logits: ArrayLike<number>, maskThreshold = 0, offset = 1): number {
  return stabilityScores(logits, 1, maskThreshold, offset)[0]!;
}
