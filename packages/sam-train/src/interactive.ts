import type { BinaryMask, DecoderConfig } from "@data-engine/sam-core";
import { diceLoss, focalLoss, maskIou, PAPER_LOSS_WEIGHTS, type LossWeights } from "./loss.ts";
import { decoderForward, type DecoderConstants } from "./model/decoder.ts";
import type { TfParams } from "./model/params.ts";
import type { Prng } from "./random.ts";
import { noisyBox, samplePointInside, sampleErrorPoint, type Point } from "./simulate.ts";
import { tf } from "./tf/backend.ts";
import { resizeBilinear } from "./tf/ops.ts";

/** How objects are prompted during training (defaults: the paper's 1 + 8 + 2 = 11 decoder passes). */
export interface SimulationOptions {
  /** Rounds that add a point sampled from the error region (with the previous logits as mask prompt). */
  pointRounds: number;
  /** Final rounds with the mask prompt alone. */
  maskOnlyRounds: number;
  /** Chance that the first prompt is the noisy box rather than a point inside the object. */
  boxProbability: number;
  /**
   * Loss of a single-point row's multimask tokens 1-3: "min" (default, the paper's) back-propagates the
   * lowest-loss token only; "mean" back-propagates all three. With "min" a model that ignores the click
   * can still lower the loss by proposing up to three different objects on the three tokens whatever the
   * click (an attractor seen when training from scratch on unambiguous scenes); "mean" removes it.
   */
  multimaskLoss?: "min" | "mean";
}

export const PAPER_SIMULATION: SimulationOptions = { pointRounds: 8, maskOnlyRounds: 2, boxProbability: 0.5 };

export interface LossParts {
  loss: number;
  focal: number;
  dice: number;
  iouMse: number;
}

export interface SimulationResult {
  /** Means over the passes (each pass: mean over objects). */
  parts: LossParts;
  /** Gradient of the mean loss per trainable parameter. */
  grads: Map<string, tf.Tensor>;
  /** Gradient w.r.t. the image embedding, when asked for (end-to-end training of an encoder). */
  embeddingGrad: tf.Tensor | null;
  /** IoU of the back-propagated mask of each pass, averaged over objects (a training curve per round). */
  iouPerPass: number[];
}

export interface SimulationArgs {
  config: DecoderConfig;
  params: TfParams;
  trainable: readonly string[];
  constants: DecoderConstants;
  /** [1, C, s, s] */
  embedding: tf.Tensor;
  /** Objects of this image, all on the same square grid (the low-res 4s grid or the input frame). */
  masks: readonly BinaryMask[];
  rng: Prng;
  simulation?: SimulationOptions;
  loss?: LossWeights;
  embeddingGrad?: boolean;
}

/**
 * Runs the interactive simulation for the objects of one image, batched (one decoder row per object),
 * and accumulates the gradients of every pass. Mask prompts are previous logits as data (no gradient
 * through them), so summing per-pass gradients equals the gradient of the summed loss.
 * Ambiguity: when a row's prompt is a single point, tokens 1..3 answer and only the lowest-loss one is
 * back-propagated (or all three with `multimaskLoss: "mean"`); otherwise token 0 answers. The IoU head
 * is trained on every answering token.
 */
export function simulateObjects(a: SimulationArgs): SimulationResult {
  const c = a.config;
  const sim = a.simulation ?? PAPER_SIMULATION;
  const w = a.loss ?? PAPER_LOSS_WEIGHTS;
  const B = a.masks.length;
  const s = c.embeddingSize;
  const low = 4 * s;
  const M = a.masks[0]!.width;
  const P = M * M;
  const frame = c.inputSize;
  const K = c.numMultimaskOutputs + 1;
  const passes = 1 + sim.pointRounds + sim.maskOnlyRounds;
  const meanMultimask = sim.multimaskLoss === "mean";

  const target = new Float32Array(B * P);
  a.masks.forEach((m, i) => {
    for (let j = 0; j < P; j++) target[i * P + j] = m.data[j] ? 1 : 0;
  });
  const targetT = tf.tensor3d(target, [B, 1, P]);
  const targetK = tf.tile(targetT, [1, K, 1]);

  const points: Point[][] = a.masks.map((m) =>
    a.rng.next() < sim.boxProbability
      ? [...noisyBox(m, frame, a.rng)]
      : [samplePointInside(m, frame, a.rng), { x: 0, y: 0, label: -1 }],
  );
  const single = points.map((p) => p.length === 2 && p[1]!.label === -1);

  const grads = new Map<string, tf.Tensor>();
  let embGrad: tf.Tensor | null = null;
  const sums = { loss: 0, focal: 0, dice: 0, iouMse: 0 };
  const iouPerPass: number[] = [];
  let prevLow: Float32Array | null = null;

  for (const n of a.trainable)
    if (!a.params.has(n)) throw new Error(`sam-train: trainable parameter ${n} is missing`);

  for (let pass = 0; pass < passes; pass++) {
    const N = points[0]!.length;
    const coords = new Float32Array(B * N * 2);
    const labels = new Float32Array(B * N);
    points.forEach((ps, i) =>
      ps.forEach((p, j) => {
        coords[(i * N + j) * 2] = p.x;
        coords[(i * N + j) * 2 + 1] = p.y;
        labels[i * N + j] = p.label;
      }),
    );
    const multimask = points.map((_, i) => pass === 0 && single[i]!);
    let chosen = new Int32Array(B);
    let chosenLow = new Float32Array(B * low * low);
    let chosenPred = new Uint8Array(B * P);
    let passIou = 0;
    const maskInput = prevLow ? tf.tensor4d(prevLow, [B, 1, low, low]) : null;
    // Without a mask prompt the mask downscaling convs are not on the path (tfjs refuses such xs).
    const active = maskInput
      ? a.trainable
      : a.trainable.filter((n) => !n.startsWith("prompt_encoder.mask_downscaling."));

    const f = (...xs: tf.Tensor[]): tf.Scalar => {
      const emb = a.embeddingGrad ? xs[0]! : a.embedding;
      const view: TfParams = new Map(a.params);
      const off = a.embeddingGrad ? 1 : 0;
      active.forEach((n, i) => view.set(n, xs[i + off]!));
      const out = decoderForward(c, view, a.constants, emb, {
        coords,
        labels,
        batch: B,
        points: N,
        maskInput,
      });
      const lowData = out.lowRes.dataSync();
      const logits = M === low ? out.lowRes : resizeBilinear(out.lowRes, M, M);
      const flat = tf.reshape(logits, [B, K, P]);
      const focal = tf.reshape(focalLoss(flat, targetK), [B, K]);
      const dice = tf.reshape(diceLoss(flat, targetK), [B, K]);
      const maskLoss = tf.add(tf.mul(focal, w.focal), tf.mul(dice, w.dice));
      const ml = maskLoss.dataSync();
      const logitData = M === low ? lowData : flat.dataSync();
      const trueIou = new Float32Array(B * K);
      for (let i = 0; i < B; i++) {
        const rowTarget = repeat(target.subarray(i * P, (i + 1) * P), K);
        const iou = maskIou(logitData.subarray(i * K * P, (i + 1) * K * P), rowTarget, K, P);
        trueIou.set(iou, i * K);
      }
      const sel = new Float32Array(B * K);
      const cand = new Float32Array(B * K);
      chosen = new Int32Array(B);
      for (let i = 0; i < B; i++) {
        let k = 0;
        if (multimask[i]) {
          k = 1;
          for (let j = 2; j < K; j++) if (ml[i * K + j]! < ml[i * K + k]!) k = j;
          for (let j = 1; j < K; j++) cand[i * K + j] = 1 / (K - 1);
          if (meanMultimask) for (let j = 1; j < K; j++) sel[i * K + j] = 1 / (K - 1);
          else sel[i * K + k] = 1;
        } else {
          cand[i * K] = 1;
          sel[i * K] = 1;
        }
        chosen[i] = k;
      }
      chosenLow = new Float32Array(B * low * low);
      chosenPred = new Uint8Array(B * P);
      passIou = 0;
      for (let i = 0; i < B; i++) {
        const k = chosen[i]!;
        chosenLow.set(lowData.subarray((i * K + k) * low * low, (i * K + k + 1) * low * low), i * low * low);
        const lg = logitData.subarray((i * K + k) * P, (i * K + k + 1) * P);
        for (let j = 0; j < P; j++) chosenPred[i * P + j] = lg[j]! > 0 ? 1 : 0;
        passIou += trueIou[i * K + k]! / B;
      }
      const selT = tf.tensor2d(sel, [B, K]);
      const candT = tf.tensor2d(cand, [B, K]);
      const iouErr = tf.square(tf.sub(out.iou, tf.tensor2d(trueIou, [B, K])));
      const perRow = tf.add(
        tf.sum(tf.mul(selT, maskLoss), 1),
        tf.mul(tf.sum(tf.mul(candT, iouErr), 1), w.iou),
      );
      const fs = tf.sum(tf.mul(selT, focal)).dataSync()[0]! / B;
      const ds = tf.sum(tf.mul(selT, dice)).dataSync()[0]! / B;
      const is = tf.sum(tf.mul(candT, iouErr)).dataSync()[0]! / B;
      sums.focal += fs / passes;
      sums.dice += ds / passes;
      sums.iouMse += is / passes;
      return tf.div(tf.mean(perRow), passes) as tf.Scalar;
    };

    const trainable = active.map((n) => a.params.get(n)!);
    const xs = a.embeddingGrad ? [a.embedding, ...trainable] : trainable;
    const { value, grads: gs } = tf.valueAndGrads(f)(xs);
    sums.loss += value.dataSync()[0]!;
    value.dispose();
    maskInput?.dispose();
    const off = a.embeddingGrad ? 1 : 0;
    if (a.embeddingGrad) {
      const g = gs[0]!;
      if (embGrad) {
        const next: tf.Tensor = tf.add(embGrad, g);
        embGrad.dispose();
        g.dispose();
        embGrad = next;
      } else embGrad = g;
    }
    active.forEach((n, i) => {
      const g = gs[i + off]!;
      const prev = grads.get(n);
      if (prev) {
        grads.set(n, tf.add(prev, g));
        prev.dispose();
        g.dispose();
      } else grads.set(n, g);
    });
    iouPerPass.push(passIou);

    prevLow = chosenLow;
    if (pass < sim.pointRounds) {
      points.forEach((ps, i) => {
        const p = sampleErrorPoint(chosenPred.subarray(i * P, (i + 1) * P), a.masks[i]!, frame, a.rng);
        ps.push(p ?? { x: 0, y: 0, label: -1 });
      });
    }
  }
  targetT.dispose();
  targetK.dispose();
  return { parts: sums, grads, embeddingGrad: embGrad, iouPerPass };
}

function repeat(x: Float32Array, k: number): Float32Array {
  const out = new Float32Array(x.length * k);
  for (let i = 0; i < k; i++) out.set(x, i * x.length);
  return out;
}
