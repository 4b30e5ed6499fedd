/**
 * Per-axis tables of the reference's two-step mask resize (low-res -> encoder input square S, crop
 * the padding away, S -> crop size), grouped into blocks by the low-res samples they read.
 *
 * Output index i reads S indices `s0[i]`, `s1[i]` (weights `w0`, `w1`), which read low-res indices
 * through the first step's table. Consecutive outputs reading the same first low-res index form a
 * block; a block's outputs depend only on the low-res indices `lo[k]..hi[k]` (a handful), so the
 * min/max of those low-res logits bound every value in the block (bilinear weights are non-negative
 * and sum to one).
 */
import type { ResampleAxis } from "./resample-axis.ts";

export interface BlockedAxis {
  /** Output size (crop side). */
  size: number;
  /** Step 2 (S -> output) per output index. */
  s0: Int32Array;
  s1: Int32Array;
  w0: Float32Array;
  w1: Float32Array;
  /** Block k covers outputs `start[k] .. start[k + 1] - 1`. */
  blocks: number;
  start: Int32Array;
  /** Low-res indices read by block k (inclusive). */
  lo: Int32Array;
  hi: Int32Array;
  /** Most S indices one block reads (scratch size). */
  maxSpan: number;
  /** Widest block (outputs). */
  maxLength: number;
  /** Most low-res indices one block reads. */
  maxReach: number;
}

/** `step1`: low-res -> S; `step2`: resized (un-padded part of S) -> crop. */
export function blockedAxis(step1: ResampleAxis, step2: ResampleAxis): BlockedAxis {
  const n = step2.outSize;
  const start: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  let maxSpan = 0;
  let maxLength = 0;
  for (let i = 0; i < n; i++) {
    const a = step1.i0[step2.i0[i]!]!;
    const b = step1.i1[step2.i1[i]!]!;
    if (i === 0 || a !== lo[lo.length - 1]) {
      start.push(i);
      lo.push(a);
      hi.push(b);
    } else if (b > hi[hi.length - 1]!) {
      hi[hi.length - 1] = b;
    }
  }
  start.push(n);
  for (let k = 0; k + 1 < start.length; k++) {
    const first = start[k]!;
    const last = start[k + 1]! - 1;
    maxSpan = Math.max(maxSpan, step2.i1[last]! - step2.i0[first]! + 1);
    maxLength = Math.max(maxLength, last - first + 1);
  }
  return {
    size: n,
    s0: step2.i0,
    s1: step2.i1,
    w0: step2.w0,
    w1: step2.w1,
    blocks: lo.length,
    start: Int32Array.from(start),
    lo: Int32Array.from(lo),
    hi: Int32Array.from(hi),
    maxSpan,
    maxLength,
    maxReach: Math.max(...hi.map((h, k) => h - lo[k]! + 1)),
  };
}

/**
 * Blocks whose values can depend on low-res indices in `[a, b]`: `[first, last]`, or `null` when none
 * (the window holds nothing above the cut). Relies on `lo`/`hi` being non-decreasing.
 */
export function blocksReading(axis: BlockedAxis, a: number, b: number): [number, number] | null {
  if (a > b) return null;
  let first = 0;
  while (first < axis.blocks && axis.hi[first]! < a) first++;
  let last = axis.blocks - 1;
  while (last >= first && axis.lo[last]! > b) last--;
  return last >= first ? [first, last] : null;
}

/**
 * Smallest margin by which bounds must clear a threshold so that every bilinear value of them (with
 * float32 weights that sum to 1 only up to rounding, intermediate rounding to float32, and products
 * and sums in double) is on the same side of it. Every step is monotone, so a bound moves by a relative
 * error of a few float32 ulps, never by more than 1e-6 relative; the absolute 1e-6 covers
 * values that would round to zero.
 */
export const above = (t: number): number => t + Math.abs(t) * 1e-5 + 1e-6;
export const below = (t: number): number => t - Math.abs(t) * 1e-5 - 1e-6;
