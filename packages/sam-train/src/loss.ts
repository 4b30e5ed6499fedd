import { tf } from "./tf/backend.ts";

/*
 * SAM's training loss: a linear combination of focal and dice loss at 20:1 on the mask logits, plus
 * the mean squared error between the predicted IoU and the IoU of the (thresholded) mask with the
 * ground truth. Per-mask values are means over pixels, as in the paper's description.
 */

export interface LossWeights {
  focal: number;
  dice: number;
  iou: number;
}

export const PAPER_LOSS_WEIGHTS: LossWeights = { focal: 20, dice: 1, iou: 1 };

/** Focal loss (Lin et al.) of logits [R, P] against 0/1 targets [R, P], mean over P -> [R]. */
export function focalLoss(logits: tf.Tensor, target: tf.Tensor, alpha = 0.25, gamma = 2): tf.Tensor {
  const p = tf.sigmoid(logits);
  // BCE with logits, stable: max(x,0) - x t + log(1 + e^-|x|)
  const ce = tf.add(
    tf.sub(tf.relu(logits), tf.mul(logits, target)),
    tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
  );
  const pt = tf.add(tf.mul(p, target), tf.mul(tf.sub(1, p), tf.sub(1, target)));
  const mod = tf.pow(tf.sub(1, pt), gamma);
  let loss = tf.mul(ce, mod);
  if (alpha >= 0) loss = tf.mul(loss, tf.add(tf.mul(target, alpha), tf.mul(tf.sub(1, target), 1 - alpha)));
  return tf.mean(loss, -1);
}

/** Dice loss 1 - (2 sum(p t) + 1) / (sum p + sum t + 1) per row of [R, P] -> [R]. */
export function diceLoss(logits: tf.Tensor, target: tf.Tensor): tf.Tensor {
  const p = tf.sigmoid(logits);
  const num = tf.add(tf.mul(tf.sum(tf.mul(p, target), -1), 2), 1);
  const den = tf.add(tf.add(tf.sum(p, -1), tf.sum(target, -1)), 1);
  return tf.sub(1, tf.div(num, den));
}

/** IoU of thresholded logits (> 0) with binary targets, per row: plain numbers (no gradient). */
export function maskIou(
  logits: ArrayLike<number>,
  target: ArrayLike<number>,
  rows: number,
  pixels: number,
): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let inter = 0;
    let union = 0;
    for (let i = r * pixels; i < (r + 1) * pixels; i++) {
      const a = logits[i]! > 0;
      const b = target[i]! > 0;
      if (a && b) inter++;
      if (a || b) union++;
    }
    out[r] = union === 0 ? 1 : inter / union;
  }
  return out;
}
