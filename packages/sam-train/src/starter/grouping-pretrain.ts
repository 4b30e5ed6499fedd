import { encoderParamSpecs, preprocessHwc, type EncoderConfig, type WeightMap } from "@data-engine/sam-core";
import type { CheckpointStore } from "../checkpoint.ts";
import { TrainingCancelledError, TrainingDivergedError } from "../errors.ts";
import { encoderForward } from "../model/encoder.ts";
import type { TfParams } from "../model/params.ts";
import { AdamW, checkAndClip, learningRate, type LrSchedule } from "../optimizer.ts";
import { initTf, tf } from "../tf/backend.ts";
import { encodeTrainingState, restoreTrainingState, type TrainingStateMeta } from "../training-state.ts";
import { cellSegments, groupingLoss, pairTargets, type GroupingLossOptions } from "./grouping-loss.ts";
import { generateScene, type SceneDomain } from "./scenes.ts";

/*
 * Stage 1 of the starter: trains the image encoder alone with the grouping loss (grouping-loss.ts) on
 * procedural scenes, one new scene per step, from SAM's random start or the structured one. Stage 2
 * (trainStarter) then trains the decoder on the encoder this returns. Same determinism, checkpoint and
 * cancel rules as the decoder trainers: step t uses scene trainSceneSeed-style index `seed, t`, a resumed
 * run recomputes what an uninterrupted one would.
 */

export interface GroupingPretrainOptions {
  config: EncoderConfig;
  /** The encoder weights training starts from. */
  start: WeightMap;
  /** Names the start in the run's fingerprint (e.g. "random seed 1" or "structured 0.1"). */
  startLabel: string;
  steps: number;
  seed?: number;
  schedule?: LrSchedule;
  weightDecay?: number;
  clipGradNorm?: number;
  domain?: SceneDomain;
  loss?: GroupingLossOptions;
  timeBudgetMs?: number;
  checkpoint?: { store: CheckpointStore; every: number };
  onProgress?: (p: GroupingLog) => void;
  signal?: AbortSignal;
}

export interface GroupingLog {
  step: number;
  loss: number;
  lr: number;
  ms: number;
}

export interface GroupingResult {
  encoder: WeightMap;
  steps: number;
  stoppedEarly: boolean;
  log: GroupingLog[];
}

/** Scene index of a pretraining step: disjoint from the decoder stage's and the held-out scenes. */
export const groupingSceneSeed = (seed: number, step: number) => 500_000_000 + seed * 1_000_003 + step;

export async function pretrainEncoderGrouping(o: GroupingPretrainOptions): Promise<GroupingResult> {
  await initTf();
  const t0 = performance.now();
  const seed = o.seed ?? 0;
  const ec = o.config;
  const S = ec.imgSize;
  const side = S / ec.patchSize;
  const schedule = o.schedule ?? { lr: 1e-3, warmupSteps: 30, decay: "cosine", minLrRatio: 0.05 };
  const names = encoderParamSpecs(ec).map((p) => p.name);
  const vars = new Map<string, tf.Variable>();
  for (const n of names) {
    const w = o.start.get(n);
    if (!w) throw new Error(`encoder start has no parameter ${n}`);
    vars.set(n, tf.variable(tf.tensor(w.data, w.shape), true, `grouping/${n}`));
  }
  const opt = new AdamW(vars, { weightDecay: o.weightDecay ?? 0.01 });
  const fp = JSON.stringify({
    config: ec,
    start: o.startLabel,
    seed,
    steps: o.steps,
    schedule,
    domain: o.domain ?? "shapes",
    loss: o.loss ?? {},
  });
  let log: GroupingLog[] = [];
  let start = 0;
  type Meta = TrainingStateMeta & { log: GroupingLog[] };
  const snapshot = (step: number) => encodeTrainingState<Meta>({ fingerprint: fp, step, log }, vars, opt);
  const saved = o.checkpoint ? await o.checkpoint.store.load() : null;
  if (saved) {
    const meta = restoreTrainingState<Meta>(
      saved,
      fp,
      vars,
      opt,
      "grouping checkpoint belongs to another run",
    );
    start = meta.step;
    log = meta.log;
  }
  const list = names.map((n) => vars.get(n)! as tf.Tensor);
  let stoppedEarly = false;
  let step = start;
  try {
    for (; step < o.steps; step++) {
      if (o.signal?.aborted) {
        if (o.checkpoint) await o.checkpoint.store.save(snapshot(step), step);
        throw new TrainingCancelledError(`encoder pretraining cancelled before step ${step}`, step);
      }
      if (o.timeBudgetMs !== undefined && performance.now() - t0 > o.timeBudgetMs) {
        stoppedEarly = true;
        break;
      }
      const ts = performance.now();
      const scene = generateScene(groupingSceneSeed(seed, step), { size: S, domain: o.domain ?? "shapes" });
      const pairs = pairTargets(cellSegments(scene.masks, S, side, o.loss?.purity));
      if (!pairs) continue; // one segment only: nothing to tell apart
      const input = tf.tensor4d(preprocessHwc(scene.rgb, S, S, S), [1, 3, S, S]);
      const f = (...xs: tf.Tensor[]) => {
        const p: TfParams = new Map();
        names.forEach((n, i) => p.set(n, xs[i]!));
        return groupingLoss(encoderForward(ec, p, input), pairs, o.loss);
      };
      const { value, grads: gl } = tf.valueAndGrads(f)(list);
      input.dispose();
      const loss = (await value.data())[0]!;
      value.dispose();
      const grads = new Map(names.map((n, i) => [n, gl[i]!] as const));
      checkAndClip(
        grads,
        loss,
        o.clipGradNorm ?? 1,
        (norm) =>
          new TrainingDivergedError(
            `encoder pretraining diverged at step ${step} (loss ${loss}, grad norm ${norm})`,
            step,
          ),
      );
      const lr = learningRate(schedule, step, o.steps);
      opt.step(grads, lr);
      for (const g of grads.values()) g.dispose();
      const entry = { step, loss, lr, ms: performance.now() - ts };
      log.push(entry);
      o.onProgress?.(entry);
      if (o.checkpoint && (step + 1) % o.checkpoint.every === 0)
        await o.checkpoint.store.save(snapshot(step + 1), step + 1);
    }
    // The finished stage is kept too, so that a run killed in the next stage does not redo this one.
    if (o.checkpoint && !stoppedEarly && step > start) await o.checkpoint.store.save(snapshot(step), step);
    const encoder: WeightMap = new Map();
    for (const n of names) {
      const v = vars.get(n)!;
      encoder.set(n, { shape: [...v.shape], data: new Float32Array(v.dataSync() as Float32Array) });
    }
    return { encoder, steps: step, stoppedEarly, log };
  } finally {
    opt.dispose();
    for (const v of vars.values()) v.dispose();
  }
}
