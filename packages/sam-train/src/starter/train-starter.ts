import {
  decoderParamSpecs,
  encoderParamSpecs,
  initDecoderWeights,
  initEncoderWeights,
  preprocessHwc,
  samConfig,
  type EncoderConfig,
  type SamConfig,
  type WeightMap,
} from "@data-engine/sam-core";
import type { CheckpointStore } from "../checkpoint.ts";
import { TrainingCancelledError, TrainingDivergedError } from "../errors.ts";
import { simulateObjects, type SimulationOptions } from "../interactive.ts";
import { PAPER_LOSS_WEIGHTS, type LossWeights } from "../loss.ts";
import { decoderConstants, GAUSSIAN } from "../model/decoder.ts";
import { encoderForward } from "../model/encoder.ts";
import type { TfParams } from "../model/params.ts";
import { AdamW, checkAndClip, learningRate, type LrSchedule } from "../optimizer.ts";
import { Prng } from "../random.ts";
import { initTf, tf } from "../tf/backend.ts";
import { encodeTrainingState, restoreTrainingState, type TrainingStateMeta } from "../training-state.ts";
import { colourPassThroughEncoder, type EncoderStartOptions } from "./encoder-init.ts";
import { cellSegments, groupingLoss, pairTargets } from "./grouping-loss.ts";
import { alignPositionalAttention, alignValuePaths } from "./positional-init.ts";
import { downsampleMask, generateScene, type SceneDomain } from "./scenes.ts";

export interface StarterOptions {
  config: SamConfig;
  steps: number;
  seed?: number;
  schedule?: LrSchedule;
  weightDecay?: number;
  clipGradNorm?: number;
  /** Objects per scene used in a step (default 6). */
  maxObjects?: number;
  /** Shorter than the paper's 11 passes by default (1 + 2 + 1) to fit a CPU budget. */
  simulation?: SimulationOptions;
  domain?: SceneDomain;
  /**
   * Independent prompts drawn per object and decoded as separate rows of the same pass (default 1): more
   * prompt examples per encoder pass. Decoder time grows about linearly with the rows (measured: 3
   * prompts per object made a 256 px step ~2.5x slower), so the shipped starter uses 1.
   */
  promptsPerObject?: number;
  /**
   * Easier scenes first: stage i applies while step < until * steps (first match wins); later steps use
   * the default scenes. Part of the run's fingerprint.
   */
  curriculum?: CurriculumStage[];
  /**
   * Scenes whose gradients are averaged into one update (default 1). Part of the run's fingerprint; with 1,
   * step t uses scene t exactly as before the option existed.
   */
  scenesPerStep?: number;
  /** Cycle through this many training scenes (an overfitting check); default: a new scene every step. */
  sceneCount?: number;
  /**
   * Scale of the Fourier positional-encoding matrix (SAM's PositionEmbeddingRandom `scale`, default 1):
   * a buffer, never trained, exported with the decoder like any SAM export's. Below 1 the encoding
   * varies more slowly across the image, so a click's encoding resembles that of its whole surroundings.
   */
  gaussianScale?: number;
  /** Strength of the positional start of the decoder's cross attentions (positional-init.ts); 0 = off. */
  alignPositional?: number;
  /** Near-identity start of the first token self-attention (positional-init.ts); 0 = off. */
  alignSelf?: number;
  /**
   * Identity start of the first decoder layer's value paths (positional-init.ts alignValuePaths), this
   * being the scale of their random part; undefined = off. Part of the run's fingerprint.
   */
  alignValues?: number;
  /**
   * Structured start of the encoder (encoder-init.ts: patch colour statistics passed through, blocks near
   * the identity); undefined = SAM's random start. Part of the run's fingerprint.
   */
  encoderStart?: EncoderStartOptions;
  /**
   * Learning-rate multiplier of the encoder's parameters (default 1). 0 freezes the encoder at its start
   * (no encoder backward pass: faster steps); with a structured encoder start this keeps the colour
   * features from being retrained into a prompt-independent objectness map. Part of the fingerprint.
   */
  encoderLrScale?: number;
  /**
   * Learning-rate multiplier of the decoder's parameters (default 1). 0 keeps a warm start's decoder as it
   * is while the encoder trains (its gradient still flows back to the embedding). Part of the fingerprint.
   */
  decoderLrScale?: number;
  /**
   * Warm start: train on from these weights (e.g. a shipped starter's files) instead of a seeded start;
   * `label` names them in the run's fingerprint. Excludes encoderStart and the decoder's structured
   * starts (alignPositional, alignSelf, alignValues), which only shape a seeded start; the Fourier
   * matrix is the init's own (gaussianScale must stay 1).
   */
  init?: { encoder: WeightMap; decoder: WeightMap; label: string };
  /**
   * The encoder weights this run starts from (e.g. the grouping stage's, grouping-pretrain.ts) instead of
   * a seeded start; `label` names them in the run's fingerprint. Excludes encoderStart and init.
   */
  encoderInit?: { weights: WeightMap; label: string };
  /**
   * Weight of the grouping loss (grouping-loss.ts) added on the embedding while the encoder trains
   * (0 or undefined: none), so that the decoder's gradient cannot pull the encoder away from telling the
   * scene's objects apart. Part of the run's fingerprint.
   */
  groupingWeight?: number;
  /** Loss weights (default: the paper's focal 20 : dice 1 : IoU 1). */
  loss?: LossWeights;
  /**
   * Warm start from scratch: the focal weight ramps linearly from 0 to its value between these fractions
   * of the run (default [0.25, 0.6]). With the full focal weight from step 0 a randomly initialised
   * model collapses to all-background (focal is minimised by confident negatives long before the
   * decoder can localise); dice alone first teaches it where the object is. [0, 0] disables the ramp.
   */
  focalRamp?: [number, number];
  /** Stop early (and say so in the result) when the wall time passes this budget. */
  timeBudgetMs?: number;
  checkpoint?: { store: CheckpointStore; every: number };
  onProgress?: (p: StarterLog) => void;
  signal?: AbortSignal;
}

export interface CurriculumStage {
  /** Fraction of the planned steps this stage lasts until. */
  until: number;
  minObjects?: number;
  maxObjects?: number;
  solidFills?: boolean;
}

export interface StarterLog {
  step: number;
  loss: number;
  firstIou: number;
  lastIou: number;
  lr: number;
  focalWeight: number;
  ms: number;
}

export interface StarterResult {
  encoder: WeightMap;
  decoder: WeightMap;
  steps: number;
  stoppedEarly: boolean;
  log: StarterLog[];
  elapsedMs: number;
}

export const STARTER_SIMULATION: SimulationOptions = {
  pointRounds: 2,
  maskOnlyRounds: 1,
  boxProbability: 0.5,
};

/**
 * The starter's architecture: SAM's `tiny` config (ViT 96 x 4 blocks, 64-dim decoder) at input side
 * `img` with `patch`-pixel patches, so the embedding grid is img / patch.
 */
export function starterConfig(img = 256, patch = 16, decoderHeads = 8): SamConfig {
  const tiny = samConfig("tiny");
  return {
    encoder: { ...tiny.encoder, imgSize: img, patchSize: patch },
    decoder: { ...tiny.decoder, numHeads: decoderHeads, embeddingSize: img / patch, inputSize: img },
  };
}

/** Scene index of a training step (held-out evaluation uses a disjoint range). */
export const trainSceneSeed = (seed: number, step: number) => seed * 1_000_003 + step;
export const heldOutSceneSeed = (i: number) => 900_000_000 + i;

/** The encoder weights a run starts from: SAM's seeded random start, or the structured one over it. */
export function starterEncoderStart(ec: EncoderConfig, seed: number, start?: EncoderStartOptions): WeightMap {
  const w = initEncoderWeights(ec, seed);
  return start ? colourPassThroughEncoder(w, ec, start) : w;
}

/**
 * Trains a SAM-architecture encoder + decoder from scratch, end to end, on procedural scenes: per step
 * one scene, the encoder forward, the interactive simulation over its objects (gradients reach the
 * embedding), then the encoder backward with that embedding gradient (skipped with encoderLrScale 0:
 * the encoder then stays at its start, e.g. the structured one of encoder-init.ts).
 */
export async function trainStarter(o: StarterOptions): Promise<StarterResult> {
  await initTf();
  const t0 = performance.now();
  const seed = o.seed ?? 0;
  const ec = o.config.encoder;
  const dc = o.config.decoder;
  const S = ec.imgSize;
  const L = 4 * dc.embeddingSize;
  const schedule = o.schedule ?? { lr: 8e-4, warmupSteps: 30, decay: "cosine", minLrRatio: 0.05 };
  if (o.init && (o.encoderStart || o.alignPositional || o.alignSelf || o.alignValues !== undefined || (o.gaussianScale ?? 1) !== 1))
    throw new Error("a warm start (init) excludes encoderStart, alignPositional, alignSelf, alignValues and gaussianScale");
  if (o.encoderInit && (o.init || o.encoderStart)) throw new Error("encoderInit excludes init and encoderStart");
  const encW = o.init?.encoder ?? o.encoderInit?.weights ?? starterEncoderStart(ec, seed, o.encoderStart);
  let decW = o.init?.decoder ?? initDecoderWeights(dc, seed);
  if (o.alignPositional) decW = alignPositionalAttention(decW, dc, o.alignPositional, o.alignSelf ?? 0);
  if (o.alignValues !== undefined) decW = alignValuePaths(decW, dc, o.alignValues);
  const encScale = o.encoderLrScale ?? 1;
  const frozenEncoder = encScale === 0;
  const decScale = o.decoderLrScale ?? 1;
  if (frozenEncoder && decScale === 0) throw new Error("encoderLrScale and decoderLrScale are both 0: nothing would train");
  const gScale = o.gaussianScale ?? 1;
  if (gScale !== 1) {
    const g = decW.get(GAUSSIAN)!;
    decW.set(GAUSSIAN, { shape: g.shape, data: g.data.map((v) => v * gScale) });
  }
  const encNames = encoderParamSpecs(ec).map((p) => p.name);
  const decNames = decoderParamSpecs(dc)
    .map((p) => p.name)
    .filter((n) => n !== GAUSSIAN);
  const vars = new Map<string, tf.Variable>();
  const params: TfParams = new Map();
  for (const [w, names] of [
    [encW, encNames],
    [decW, decNames],
  ] as const) {
    for (const n of names) {
      if (!w.has(n)) throw new Error(`warm start has no parameter ${n}`);
      const v = tf.variable(tf.tensor(w.get(n)!.data, w.get(n)!.shape), true, `starter/${n}`);
      vars.set(n, v);
      params.set(n, v);
    }
  }
  const gaussian = decW.get(GAUSSIAN)!;
  params.set(GAUSSIAN, tf.tensor(gaussian.data, gaussian.shape));
  const consts = decoderConstants(dc, gaussian.data);
  const opt = new AdamW(vars, { weightDecay: o.weightDecay ?? 0.01 });
  let log: StarterLog[] = [];
  let start = 0;
  const fp = JSON.stringify({
    config: o.config,
    seed,
    steps: o.steps,
    schedule,
    domain: o.domain ?? "shapes",
    promptsPerObject: o.promptsPerObject ?? 1,
    curriculum: o.curriculum ?? [],
    ...(o.sceneCount ? { sceneCount: o.sceneCount } : {}),
    ...(o.scenesPerStep && o.scenesPerStep > 1 ? { scenesPerStep: o.scenesPerStep } : {}),
    simulation: o.simulation ?? STARTER_SIMULATION,
    gaussianScale: gScale,
    alignPositional: o.alignPositional ?? 0,
    ...(o.alignSelf ? { alignSelf: o.alignSelf } : {}),
    ...(o.encoderStart ? { encoderStart: o.encoderStart } : {}),
    ...(o.init ? { init: o.init.label } : {}),
    ...(o.encoderInit ? { encoderInit: o.encoderInit.label } : {}),
    ...(o.groupingWeight ? { groupingWeight: o.groupingWeight } : {}),
    ...(o.alignValues !== undefined ? { alignValues: o.alignValues } : {}),
    ...(o.encoderLrScale !== undefined && o.encoderLrScale !== 1 ? { encoderLrScale: o.encoderLrScale } : {}),
    ...(decScale !== 1 ? { decoderLrScale: decScale } : {}),
    loss: o.loss ?? PAPER_LOSS_WEIGHTS,
    focalRamp: o.focalRamp ?? [0.25, 0.6],
  });
  type Meta = TrainingStateMeta & { log: StarterLog[] };
  const snapshot = (step: number) => encodeTrainingState<Meta>({ fingerprint: fp, step, log }, vars, opt);
  const saved = o.checkpoint ? await o.checkpoint.store.load() : null;
  if (saved) {
    const meta = restoreTrainingState<Meta>(saved, fp, vars, opt, "starter checkpoint belongs to another run");
    start = meta.step;
    log = meta.log;
  }

  const ramp = o.focalRamp ?? [0.25, 0.6];
  const lossAt = (step: number): LossWeights => {
    const w = o.loss ?? PAPER_LOSS_WEIGHTS;
    const t = step / o.steps;
    const k = ramp[1] <= ramp[0] ? 1 : Math.max(0, Math.min(1, (t - ramp[0]) / (ramp[1] - ramp[0])));
    return { ...w, focal: w.focal * k };
  };
  let stoppedEarly = false;
  let step = start;
  for (; step < o.steps; step++) {
    if (o.signal?.aborted) {
      if (o.checkpoint) await o.checkpoint.store.save(snapshot(step), step);
      throw new TrainingCancelledError(`starter training cancelled before step ${step}`, step);
    }
    if (o.timeBudgetMs !== undefined && performance.now() - t0 > o.timeBudgetMs) {
      stoppedEarly = true;
      break;
    }
    const ts = performance.now();
    const stage = (o.curriculum ?? []).find((c) => step < c.until * o.steps);
    const perStep = o.scenesPerStep ?? 1;
    // Gradients of one scene (null when it has no usable object).
    const sceneGrads = (j: number) => {
      const base = o.sceneCount ? step % o.sceneCount : step;
      const sceneIndex = perStep === 1 ? base : base * perStep + j;
      const scene = generateScene(trainSceneSeed(seed, sceneIndex), {
        size: S,
        domain: o.domain ?? "shapes",
        minObjects: stage?.minObjects,
        maxObjects: stage?.maxObjects,
        solidFills: stage?.solidFills,
      });
      if (scene.masks.length === 0) return null;
      const rng = j === 0 ? Prng.derive(seed, "starter-step", step) : Prng.derive(seed, "starter-step", step, j);
      // A thin or small object can vanish on the low-res grid (majority vote per cell): no prompt can be
      // sampled inside it, so it is left out of the step (seen at 128 px with 16 px patches, L = 32).
      const objects = rng
        .shuffle(scene.masks.slice())
        .slice(0, o.maxObjects ?? 6)
        .map((m) => downsampleMask(m, L))
        .filter((m) => m.data.some((v) => v !== 0));
      if (objects.length === 0) return null;
      const masks = objects.flatMap((m) => Array.from({ length: o.promptsPerObject ?? 1 }, () => m));
      const input = tf.tensor4d(preprocessHwc(scene.rgb, S, S, S), [1, 3, S, S]);
      const encTensors = encNames.map((n) => vars.get(n)! as tf.Tensor);
      const encF = (...xs: tf.Tensor[]) => {
        const view: TfParams = new Map(params);
        encNames.forEach((n, i) => view.set(n, xs[i]!));
        return encoderForward(ec, view, input);
      };
      const emb = tf.tidy(() => encF(...encTensors));
      const r = simulateObjects({
        config: dc,
        params,
        trainable: decNames,
        constants: consts,
        embedding: emb,
        masks,
        rng,
        simulation: o.simulation ?? STARTER_SIMULATION,
        loss: lossAt(step),
        embeddingGrad: !frozenEncoder,
      });
      emb.dispose();
      const grads = new Map(r.grads);
      if (!frozenEncoder) {
        const dEmb = r.embeddingGrad!;
        const pairs = o.groupingWeight ? pairTargets(cellSegments(scene.masks, S, dc.embeddingSize)) : null;
        // With the grouping loss: the gradient of <embedding, dL/dembedding> + w * grouping(embedding)
        // is the decoder's gradient plus the grouping one, in one encoder backward pass.
        const encGrads = pairs
          ? tf.grads((...xs: tf.Tensor[]) => {
              const e = encF(...xs);
              return tf.add(tf.sum(tf.mul(e, dEmb)), tf.mul(groupingLoss(e, pairs), o.groupingWeight!));
            })(encTensors)
          : tf.grads(encF)(encTensors, dEmb);
        r.embeddingGrad!.dispose();
        encNames.forEach((n, i) => grads.set(n, encGrads[i]!));
      }
      input.dispose();
      return { grads, loss: r.parts.loss, firstIou: r.iouPerPass[0]!, lastIou: r.iouPerPass[r.iouPerPass.length - 1]! };
    };
    // With several scenes per step the update is the mean of their gradients.
    const parts = Array.from({ length: perStep }, (_, j) => sceneGrads(j)).filter((g) => g !== null);
    if (parts.length === 0) continue;
    const mean = (f: (g: (typeof parts)[number]) => number) => parts.reduce((a, g) => a + f(g), 0) / parts.length;
    const loss = mean((g) => g.loss);
    const grads = parts[0]!.grads;
    if (parts.length > 1) {
      for (const n of [...grads.keys()]) {
        const all = parts.map((g) => g.grads.get(n)!);
        grads.set(n, tf.tidy(() => tf.div(tf.addN(all), parts.length)));
        for (const t of all) t.dispose();
      }
    }
    checkAndClip(
      grads,
      loss,
      o.clipGradNorm ?? 1,
      (norm) => new TrainingDivergedError(`starter loss diverged at step ${step} (loss ${loss}, grad norm ${norm})`, step),
    );
    const lr = learningRate(schedule, step, o.steps);
    const scaled = encScale !== 1 || decScale !== 1;
    opt.step(grads, lr, scaled ? (n) => (n.startsWith("image_encoder.") ? encScale : decScale) : undefined);
    for (const g of grads.values()) g.dispose();
    const entry: StarterLog = {
      step,
      loss,
      firstIou: mean((g) => g.firstIou),
      lastIou: mean((g) => g.lastIou),
      lr,
      focalWeight: lossAt(step).focal,
      ms: performance.now() - ts,
    };
    log.push(entry);
    o.onProgress?.(entry);
    if (o.checkpoint && (step + 1) % o.checkpoint.every === 0)
      await o.checkpoint.store.save(snapshot(step + 1), step + 1);
  }
  const dump = (names: string[], extra?: [string, WeightMap]) => {
    const out: WeightMap = new Map();
    for (const n of names) {
      const v = vars.get(n)!;
      out.set(n, { shape: [...v.shape], data: new Float32Array(v.dataSync() as Float32Array) });
    }
    if (extra) out.set(extra[0], extra[1].get(extra[0])!);
    return out;
  };
  const result: StarterResult = {
    encoder: dump(encNames),
    decoder: dump(decNames, [GAUSSIAN, decW]),
    steps: step,
    stoppedEarly,
    log,
    elapsedMs: performance.now() - t0,
  };
  opt.dispose();
  for (const t of params.values()) t.dispose();
  consts.densePe.dispose();
  consts.gaussian.dispose();
  return result;
}
