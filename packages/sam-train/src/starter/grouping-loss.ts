import type { BinaryMask } from "@data-engine/sam-core";
import { tf } from "../tf/backend.ts";

/*
 * A dense "which cells belong together" loss on the image embedding, used to train the starter's encoder
 * (grouping-pretrain.ts). The decoder turns a click into a mask by comparing every embedding cell with
 * what it gathered at the click (its hypernetwork output is a linear read-out of upscaled cell
 * features), so an encoder is useful to it when the cells of one object look alike and the cells of
 * different objects do not. Trained only through the decoder, from 2 cores' worth of steps, the encoder
 * drifted to a prompt-independent objectness map (README, session 4); the procedural scenes know every
 * cell's object exactly, so this loss asks for the grouping directly.
 *
 * Per pair of cells (i, j): logit = sharpness * (cos(f_i, f_j) - margin), binary cross-entropy against
 * "same segment" (the background is a segment too), positives and negatives weighted to half the loss
 * each (an image has far more different-segment pairs). Cells whose majority segment covers less than
 * `purity` of their pixels (boundaries) are left out.
 */

export interface GroupingLossOptions {
  /** Scale of the cosine before the sigmoid (default 10). */
  sharpness?: number;
  /** Cosine at which a pair is even odds of "same segment" (default 0.5). */
  margin?: number;
  /** Least share of a cell's pixels its majority segment must cover for the cell to count (default 0.75). */
  purity?: number;
}

export interface CellSegments {
  /** Per cell (row-major, side x side): the majority segment, 0 = background, k = the k-th mask. */
  label: Int32Array;
  /** Per cell: 1 when its majority segment covers at least `purity` of its pixels. */
  valid: Uint8Array;
  side: number;
}

/** The majority segment of every embedding cell, from a scene's full-size visible masks. */
export function cellSegments(masks: BinaryMask[], size: number, side: number, purity = 0.75): CellSegments {
  const f = size / side;
  if (!Number.isInteger(f)) throw new Error(`image side ${size} is not a multiple of the grid side ${side}`);
  const counts = new Float64Array(side * side * (masks.length + 1));
  const k = masks.length + 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let seg = 0;
      // Visible masks do not overlap (scenes.ts paints back to front); the first hit is the pixel's object.
      for (let m = 0; m < masks.length; m++) {
        if (masks[m]!.data[y * size + x]) {
          seg = m + 1;
          break;
        }
      }
      counts[(Math.floor(y / f) * side + Math.floor(x / f)) * k + seg]! += 1;
    }
  }
  const label = new Int32Array(side * side);
  const valid = new Uint8Array(side * side);
  for (let c = 0; c < side * side; c++) {
    let best = 0;
    for (let s = 1; s < k; s++) if (counts[c * k + s]! > counts[c * k + best]!) best = s;
    label[c] = best;
    valid[c] = counts[c * k + best]! >= purity * f * f ? 1 : 0;
  }
  return { label, valid, side };
}

/** Pair targets and weights of a scene's cells (constants of the loss). */
export function pairTargets(seg: CellSegments): { target: Float32Array; weight: Float32Array } | null {
  const n = seg.side * seg.side;
  const target = new Float32Array(n * n);
  const weight = new Float32Array(n * n);
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < n; i++) {
    if (!seg.valid[i]) continue;
    for (let j = 0; j < n; j++) {
      if (i === j || !seg.valid[j]) continue;
      if (seg.label[i] === seg.label[j]) {
        target[i * n + j] = 1;
        pos++;
      } else neg++;
    }
  }
  if (pos === 0 || neg === 0) return null;
  for (let p = 0; p < n * n; p++) {
    const i = Math.floor(p / n);
    const j = p % n;
    if (i === j || !seg.valid[i] || !seg.valid[j]) continue;
    weight[p] = target[p] ? 0.5 / pos : 0.5 / neg;
  }
  return { target, weight };
}

/**
 * The loss of one embedding [1, C, s, s] against its pair targets (a scalar tensor; differentiable in
 * the embedding).
 */
export function groupingLoss(
  embedding: tf.Tensor,
  pairs: { target: Float32Array; weight: Float32Array },
  o: GroupingLossOptions = {},
): tf.Scalar {
  return tf.tidy(() => {
    const [, C, h, w] = embedding.shape as [number, number, number, number];
    const n = h * w;
    const f = tf.transpose(tf.reshape(embedding, [C, n])); // [n, C]
    const unit = tf.div(f, tf.sqrt(tf.add(tf.sum(tf.square(f), 1, true), 1e-12)));
    const cos = tf.matMul(unit, unit, false, true); // [n, n]
    const logits = tf.mul(tf.sub(cos, o.margin ?? 0.5), o.sharpness ?? 10);
    const target = tf.tensor2d(pairs.target, [n, n]);
    const weight = tf.tensor2d(pairs.weight, [n, n]);
    // Numerically stable BCE with logits: max(z, 0) - z t + log(1 + exp(-|z|)).
    const bce = tf.add(
      tf.sub(tf.relu(logits), tf.mul(logits, target)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
    );
    return tf.sum(tf.mul(bce, weight)) as tf.Scalar;
  });
}
