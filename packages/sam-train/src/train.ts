import { decoderParamSpecs, type DecoderConfig, type WeightMap } from "@data-engine/sam-core";
import type { CheckpointStore } from "./checkpoint.ts";
import { encodeTrainingState, restoreTrainingState } from "./training-state.ts";
import { groupSamples, type ImageGroup, type MaskSample } from "./dataset.ts";
import {
  SamTrainError,
  TrainingCancelledError,
  TrainingDivergedError,
} from "./errors.ts";
import { PAPER_SIMULATION, simulateObjects, type LossParts, type SimulationOptions } from "./interactive.ts";
import { PAPER_LOSS_WEIGHTS, type LossWeights } from "./loss.ts";
import { decoderConstants, GAUSSIAN } from "./model/decoder.ts";
import type { TfParams } from "./model/params.ts";
import { AdamW, checkAndClip, learningRate, type LrSchedule } from "./optimizer.ts";
import { Prng } from "./random.ts";
import { initTf, tf } from "./tf/backend.ts";

/** Which decoder parameters are trained. */
export type TrainableSpec =
  | "all"
  /** The output hypernetwork MLPs and the IoU head only. */
  | "heads"
  /** Parameter name prefixes, e.g. ["mask_decoder.output_hypernetworks_mlps", "mask_decoder.iou_prediction_head"]. */
  | readonly string[];

export interface StepLog extends LossParts {
  step: number;
  lr: number;
  /** IoU of the back-propagated mask after the first prompt and after the last pass. */
  firstIou: number;
  lastIou: number;
  ms: number;
}

export interface TrainProgress extends StepLog {
  steps: number;
  elapsedMs: number;
}

export interface TrainDecoderOptions {
  config: DecoderConfig;
  /** The base model version's decoder (e.g. from `importDecoderWeights` or an earlier run). */
  baseWeights: WeightMap;
  samples: readonly MaskSample[];
  /** Optimizer steps; each step is one image with up to `maxObjectsPerStep` of its masks, 11 passes. */
  steps: number;
  seed?: number;
  trainable?: TrainableSpec;
  schedule?: LrSchedule;
  weightDecay?: number;
  /** Clip the global gradient norm (off by default). */
  clipGradNorm?: number;
  maxObjectsPerStep?: number;
  simulation?: SimulationOptions;
  loss?: LossWeights;
  /** Fewer masks than this is an error (default 8). */
  minMasks?: number;
  checkpoint?: { store: CheckpointStore; every: number };
  /**
   * Called after every step. A returned promise is awaited before the next step, which also gives the
   * event loop a turn (a job's heartbeat, progress writes, a cancellation arriving).
   */
  onProgress?: (p: TrainProgress) => unknown;
  signal?: AbortSignal;
}

export interface TrainDecoderResult {
  weights: WeightMap;
  config: DecoderConfig;
  steps: number;
  log: StepLog[];
  /** Step the run resumed from (null for a fresh run). */
  resumedFrom: number | null;
  trainable: string[];
  elapsedMs: number;
}

const HEADS = ["mask_decoder.output_hypernetworks_mlps.", "mask_decoder.iou_prediction_head."];

/** Parameter names selected by a TrainableSpec (the Fourier gaussian is a buffer in SAM: never trained). */
export function selectTrainable(c: DecoderConfig, spec: TrainableSpec = "all"): string[] {
  const names = decoderParamSpecs(c)
    .map((p) => p.name)
    .filter((n) => n !== GAUSSIAN);
  if (spec === "all") return names;
  const prefixes = spec === "heads" ? HEADS : spec;
  const out = names.filter((n) => prefixes.some((p) => n.startsWith(p)));
  if (out.length === 0)
    throw new SamTrainError(`trainable ${JSON.stringify(spec)} selects no decoder parameter`);
  return out;
}

function fingerprint(o: TrainDecoderOptions, trainable: string[], groups: ImageGroup[]): string {
  return JSON.stringify({
    config: o.config,
    trainable,
    seed: o.seed ?? 0,
    steps: o.steps,
    schedule: o.schedule ?? null,
    images: groups.length,
    masks: groups.reduce((a, g) => a + g.masks.length, 0),
  });
}

/** The image group of a step: a seeded permutation per epoch, so any step can be recomputed alone. */
function groupForStep(groups: ImageGroup[], seed: number, step: number): ImageGroup {
  const epoch = Math.floor(step / groups.length);
  const order = Prng.derive(seed, "epoch", epoch).shuffle(groups.map((_, i) => i));
  return groups[order[step % groups.length]!]!;
}

function pickMasks(g: ImageGroup, max: number, rng: Prng): ImageGroup["masks"] {
  if (g.masks.length <= max) return g.masks;
  return rng
    .shuffle(g.masks.map((_, i) => i))
    .slice(0, max)
    .sort((a, b) => a - b)
    .map((i) => g.masks[i]!);
}

interface CheckpointMeta {
  fingerprint: string;
  step: number;
  adamT: number;
  log: StepLog[];
}

/**
 * Fine-tunes SAM's prompt encoder + mask decoder on accepted masks with the paper's recipe
 * (interactive simulation, focal + dice 20:1 + IoU MSE, best-of-3 for single ambiguous prompts) and
 * AdamW. Deterministic for a seed; resumes from the store's checkpoint when there is one.
 */
export async function trainDecoder(o: TrainDecoderOptions): Promise<TrainDecoderResult> {
  await initTf();
  const t0 = performance.now();
  const c = o.config;
  if (!Number.isInteger(o.steps) || o.steps < 1)
    throw new SamTrainError(`steps must be a positive integer, got ${o.steps}`);
  const groups = groupSamples(o.samples, c, o.minMasks ?? 8);
  const trainable = selectTrainable(c, o.trainable);
  const seed = o.seed ?? 0;
  const schedule: LrSchedule = o.schedule ?? {
    lr: 1e-4,
    warmupSteps: Math.min(50, Math.floor(o.steps / 10)),
    decay: "cosine",
  };
  const specs = decoderParamSpecs(c);
  for (const p of specs) {
    const w = o.baseWeights.get(p.name);
    if (!w || w.shape.join(",") !== p.shape.join(","))
      throw new SamTrainError(
        `base weights: ${p.name} is ${w ? `[${w.shape}]` : "missing"}, expected [${p.shape}]`,
      );
  }
  const fp = fingerprint(o, trainable, groups);

  const isTrainable = new Set(trainable);
  const params: TfParams = new Map();
  const vars = new Map<string, tf.Variable>();
  for (const p of specs) {
    const w = o.baseWeights.get(p.name)!;
    const t = tf.tensor(w.data, w.shape, "float32");
    if (isTrainable.has(p.name)) {
      const v = tf.variable(t, true, `sam-train/${p.name}`);
      t.dispose();
      vars.set(p.name, v);
      params.set(p.name, v);
    } else params.set(p.name, t);
  }
  const consts = decoderConstants(c, o.baseWeights.get(GAUSSIAN)!.data);
  const opt = new AdamW(vars, { weightDecay: o.weightDecay ?? 0.01 });
  let log: StepLog[] = [];
  let start = 0;
  let resumedFrom: number | null = null;

  const snapshot = (step: number): Uint8Array =>
    encodeTrainingState<CheckpointMeta>({ fingerprint: fp, step, log }, vars, opt, trainable);

  try {
    const saved = o.checkpoint ? await o.checkpoint.store.load() : null;
    if (saved) {
      const meta = restoreTrainingState<CheckpointMeta>(
        saved,
        fp,
        vars,
        opt,
        "the stored checkpoint belongs to a different run (config, data size, seed or trainable set differ)",
      );
      start = meta.step;
      log = meta.log;
      resumedFrom = start;
    }

    for (let step = start; step < o.steps; step++) {
      if (o.signal?.aborted) {
        if (o.checkpoint) await o.checkpoint.store.save(snapshot(step), step);
        throw new TrainingCancelledError(`training cancelled before step ${step} of ${o.steps}`, step);
      }
      const ts = performance.now();
      const rng = Prng.derive(seed, "step", step);
      const g = groupForStep(groups, seed, step);
      const masks = pickMasks(g, o.maxObjectsPerStep ?? 8, rng);
      const s = c.embeddingSize;
      const emb = tf.tensor4d(g.embedding, [1, c.transformerDim, s, s]);
      const r = simulateObjects({
        config: c,
        params,
        trainable,
        constants: consts,
        embedding: emb,
        masks,
        rng,
        simulation: o.simulation ?? PAPER_SIMULATION,
        loss: o.loss ?? PAPER_LOSS_WEIGHTS,
      });
      emb.dispose();
      checkAndClip(
        r.grads,
        r.parts.loss,
        o.clipGradNorm,
        (norm) =>
          new TrainingDivergedError(
            `loss diverged at step ${step}: loss=${r.parts.loss}, gradient norm=${norm} (lower the learning rate, now ${learningRate(schedule, step, o.steps)}); weights of step ${step - 1} kept`,
            step,
          ),
      );
      const lr = learningRate(schedule, step, o.steps);
      opt.step(r.grads, lr);
      for (const gr of r.grads.values()) gr.dispose();
      const entry: StepLog = {
        step,
        lr,
        ...r.parts,
        firstIou: r.iouPerPass[0]!,
        lastIou: r.iouPerPass[r.iouPerPass.length - 1]!,
        ms: performance.now() - ts,
      };
      log.push(entry);
      await o.onProgress?.({ ...entry, steps: o.steps, elapsedMs: performance.now() - t0 });
      if (o.checkpoint && ((step + 1) % o.checkpoint.every === 0 || step + 1 === o.steps))
        await o.checkpoint.store.save(snapshot(step + 1), step + 1);
    }

    const weights: WeightMap = new Map();
    for (const p of specs) {
      const t = params.get(p.name)!;
      weights.set(p.name, { shape: [...p.shape], data: new Float32Array(t.dataSync() as Float32Array) });
    }
    return {
      weights,
      config: c,
      steps: o.steps,
      log,
      resumedFrom,
      trainable,
      elapsedMs: performance.now() - t0,
    };
  } finally {
    opt.dispose();
    for (const t of params.values()) t.dispose();
    consts.densePe.dispose();
    consts.gaussian.dispose();
  }
}
