/*
 * Trains the starter model (SAM architecture: the `tiny` sizes at a chosen input side and patch, see
 * starterConfig) from scratch on procedural scenes and writes {encoder.onnx, decoder.onnx,
 * decoder-throughput.onnx, model.json} to models/starter/ (or --out). With --group-steps N, stage 1
 * first trains the encoder alone on the grouping loss (src/starter/grouping-pretrain.ts); stage 2
 * (--steps) trains the decoder (and the encoder unless --enc-lr 0) on it. Resumes from
 * .cache/starter.ckpt (or --ckpt; stage 1 from that path + ".grouping") when killed. --quick only prints
 * held-out metrics and the prompt probe (comparison runs). The shipped model's exact command is in the
 * README ("Starter model") and in model.json.
 *
 *   npx tsx scripts/train-starter.ts --group-steps 4000 --steps 2800 --enc-lr 0 --dec-heads 4 --sim 1,0 --quick
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  buildDecoderOnnx,
  buildEncoderOnnx,
  initDecoderWeights,
  initEncoderWeights,
  type WeightMap,
} from "@data-engine/sam-core";
import { createNodeBackend } from "@data-engine/sam-core/node";
import { evaluateModel, probeModel } from "../src/starter/eval-starter.ts";
import { pretrainEncoderGrouping } from "../src/starter/grouping-pretrain.ts";
import { groupingProbe } from "../src/starter/grouping-probe.ts";
import { loadStarterFiles } from "../src/starter/load-starter.ts";
import {
  heldOutSceneSeed,
  starterConfig,
  starterEncoderStart,
  trainStarter,
  type CurriculumStage,
} from "../src/starter/train-starter.ts";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "800" },
    minutes: { type: "string", default: "30" },
    seed: { type: "string", default: "1" },
    eval: { type: "string", default: "40" },
    focal: { type: "string", default: "0" },
    lr: { type: "string", default: "1e-3" },
    warmup: { type: "string", default: "30" },
    clip: { type: "string", default: "1" },
    // prompts per object (rows per object in each decoder pass)
    ppo: { type: "string", default: "1" },
    objects: { type: "string", default: "6" },
    // "pointRounds,maskOnlyRounds" of the interactive simulation
    sim: { type: "string", default: "2,1" },
    curriculum: { type: "string", default: "none" },
    // cycle through this many training scenes (overfitting check)
    scenes: { type: "string" },
    // scenes whose gradients are averaged into one update
    "scenes-per-step": { type: "string", default: "1" },
    // only evaluate the trained model on held-out shapes (for short comparison runs)
    quick: { type: "boolean", default: false },
    // "from,to" fractions of the run over which the focal weight ramps up from 0
    "focal-ramp": { type: "string", default: "0.25,0.6" },
    ckpt: { type: "string" },
    // architecture: input side, patch side (embedding = img / patch), decoder attention heads
    img: { type: "string", default: "256" },
    patch: { type: "string", default: "16" },
    "dec-heads": { type: "string", default: "8" },
    "pe-scale": { type: "string", default: "1" },
    align: { type: "string", default: "0" },
    "align-self": { type: "string", default: "0" },
    // structured encoder start (encoder-init.ts): scale of the blocks' residual branches; 0 = random start
    "enc-start": { type: "string", default: "0" },
    // loss of a single click's multimask tokens: "min" (the paper's) or "mean" (all three tokens)
    multimask: { type: "string", default: "min" },
    // learning-rate multiplier of the encoder (0 = frozen at its start)
    "enc-lr": { type: "string", default: "1" },
    // learning-rate multiplier of the decoder (0 = kept as it starts, e.g. a warm start's)
    "dec-lr": { type: "string", default: "1" },
    // identity start of the first decoder layer's value paths, with this scale of random part; "off" = none
    "align-values": { type: "string", default: "off" },
    // stage 1: train the encoder alone with the grouping loss for this many steps (0 = no stage 1), from
    // the start --enc-start gives (0 = SAM's random start); stage 2 (--steps) then starts from it
    "group-steps": { type: "string", default: "0" },
    "group-lr": { type: "string", default: "1e-3" },
    "group-minutes": { type: "string", default: "30" },
    // weight of the grouping loss on the embedding while the encoder trains in stage 2 (0 = none)
    "group-aux": { type: "string", default: "0" },
    // stage 2 starts from the encoder of this starter folder (e.g. a finished run's stage 1), decoder fresh
    "init-encoder": { type: "string" },
    // warm start from a starter folder (its model.json config replaces --img/--patch/--dec-heads)
    init: { type: "string" },
    out: { type: "string" },
  },
});
const CURRICULA: Record<string, CurriculumStage[]> = {
  none: [],
  // flat colours and at most 3 objects first, then textures, then the full scenes
  easy: [
    { until: 0.15, minObjects: 1, maxObjects: 3, solidFills: true },
    { until: 0.35, minObjects: 2, maxObjects: 4 },
  ],
  // flat colours only (a diagnosis of learnability, not a starter)
  solid: [{ until: 1, solidFills: true }],
  // flat colours for the first 40% of the run, then the full textured scenes
  flat40: [{ until: 0.4, solidFills: true }],
};
const curriculum = CURRICULA[values.curriculum];
if (!curriculum) throw new Error(`unknown --curriculum ${values.curriculum}`);
const ramp = values["focal-ramp"].split(",").map(Number) as [number, number];
const [pointRounds, maskOnlyRounds] = values.sim.split(",").map(Number) as [number, number];
if (values.multimask !== "min" && values.multimask !== "mean")
  throw new Error(`unknown --multimask ${values.multimask}`);
const simulation = {
  pointRounds,
  maskOnlyRounds,
  boxProbability: 0.5,
  ...(values.multimask === "mean" ? { multimaskLoss: "mean" as const } : {}),
};
const encStart = Number(values["enc-start"]);
const here = dirname(fileURLToPath(import.meta.url));
const outDir = values.out ?? join(here, "..", "models", "starter");
const ckpt = values.ckpt ?? join(here, "..", ".cache", "starter.ckpt");
const steps = Number(values.steps);
const seed = Number(values.seed);
const init = values.init ? await loadStarterFiles(values.init) : undefined;
const cfg = init?.config ?? starterConfig(Number(values.img), Number(values.patch), Number(values["dec-heads"]));
await mkdir(dirname(ckpt), { recursive: true });
const fileStore = (path: string) => ({
  load: async () =>
    readFile(path)
      .then((b) => new Uint8Array(b))
      .catch(() => null),
  save: async (bytes: Uint8Array) => writeFile(path, bytes),
});
const backend = createNodeBackend();
const held = { count: Number(values.eval), firstSeed: heldOutSceneSeed(0), grid: "input" as const };

const groupSteps = Number(values["group-steps"]);
if (values["init-encoder"] && (groupSteps > 0 || init)) throw new Error("--init-encoder excludes --group-steps and --init");
const initEncoder = values["init-encoder"] ? await loadStarterFiles(values["init-encoder"]) : undefined;
const groupCkpt = `${ckpt}.grouping`;
let stage1: { weights: WeightMap; label: string; minutes: number; probe: { start: number; trained: number } } | undefined;
if (groupSteps > 0) {
  if (init) throw new Error("--group-steps trains an encoder from a seeded start: it excludes --init");
  const tg = Date.now();
  const startLabel = encStart > 0 ? `structured start ${encStart}, seed ${seed}` : `SAM's random start, seed ${seed}`;
  const start = starterEncoderStart(cfg.encoder, seed, encStart > 0 ? { residualScale: encStart } : undefined);
  const g = await pretrainEncoderGrouping({
    config: cfg.encoder,
    start,
    startLabel,
    steps: groupSteps,
    seed,
    schedule: { lr: Number(values["group-lr"]), warmupSteps: 30, decay: "cosine", minLrRatio: 0.05 },
    timeBudgetMs: Number(values["group-minutes"]) * 60_000,
    checkpoint: { every: 50, store: fileStore(groupCkpt) },
    onProgress: (p) => {
      if (p.step % 50 === 0) console.log(`grouping step ${p.step}/${groupSteps} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)} ${p.ms.toFixed(0)} ms`);
    },
  });
  const minutes = (Date.now() - tg) / 60_000;
  console.log(`stage 1: ${g.steps} grouping steps in ${minutes.toFixed(1)} min${g.stoppedEarly ? " (time budget reached)" : ""}`);
  const probeOf = (weights: typeof start) =>
    groupingProbe(backend, buildEncoderOnnx(cfg.encoder, { weights, inputForm: "normalized" }).model, cfg.decoder, {
      count: held.count,
      firstSeed: held.firstSeed,
      domain: "shapes",
    });
  const probe = { start: await probeOf(start), trained: await probeOf(g.encoder) };
  console.log(`held-out cell grouping mIoU: start ${probe.start.toFixed(4)}, after stage 1 ${probe.trained.toFixed(4)}`);
  stage1 = { weights: g.encoder, label: `grouping ${g.steps} steps, lr ${values["group-lr"]}, from ${startLabel}`, minutes, probe };
}

const t0 = Date.now();
const r = await trainStarter({
  config: cfg,
  steps,
  seed,
  timeBudgetMs: Number(values.minutes) * 60_000,
  loss: { focal: Number(values.focal), dice: 1, iou: 1 },
  focalRamp: ramp,
  schedule: { lr: Number(values.lr), warmupSteps: Number(values.warmup), decay: "cosine", minLrRatio: 0.05 },
  clipGradNorm: Number(values.clip),
  promptsPerObject: Number(values.ppo),
  maxObjects: Number(values.objects),
  simulation,
  curriculum,
  sceneCount: values.scenes ? Number(values.scenes) : undefined,
  scenesPerStep: Number(values["scenes-per-step"]),
  gaussianScale: Number(values["pe-scale"]),
  alignPositional: Number(values.align),
  alignSelf: Number(values["align-self"]),
  alignValues: values["align-values"] === "off" ? undefined : Number(values["align-values"]),
  encoderLrScale: Number(values["enc-lr"]),
  decoderLrScale: Number(values["dec-lr"]),
  encoderStart: encStart > 0 && !stage1 && !initEncoder ? { residualScale: encStart } : undefined,
  encoderInit: stage1
    ? { weights: stage1.weights, label: stage1.label }
    : initEncoder && { weights: initEncoder.encoder, label: `encoder of ${values["init-encoder"]}` },
  groupingWeight: Number(values["group-aux"]),
  init: init && { encoder: init.encoder, decoder: init.decoder, label: values.init! },
  checkpoint: { every: 25, store: fileStore(ckpt) },
  onProgress: (p) => {
    if (p.step % 10 === 0)
      console.log(
        `step ${p.step}/${steps} loss ${p.loss.toFixed(4)} iou(first) ${p.firstIou.toFixed(3)} iou(last) ${p.lastIou.toFixed(3)} lr ${p.lr.toExponential(2)} focal x${p.focalWeight.toFixed(1)} ${p.ms.toFixed(0)} ms`,
      );
  },
});
const trainMinutes = (Date.now() - t0) / 60_000;
console.log(
  `trained ${r.steps} steps in ${trainMinutes.toFixed(1)} min${r.stoppedEarly ? " (time budget reached)" : ""}`,
);

const trained = await evaluateModel(backend, cfg, r.encoder, r.decoder, { ...held, domain: "shapes" });
const probe = await probeModel(backend, cfg, r.encoder, r.decoder, { ...held, domain: "shapes" });
console.log("held-out shapes, trained:", JSON.stringify(trained), "prompt probe:", JSON.stringify(probe));
if (values.quick) process.exit(0);
const trainedRings = await evaluateModel(backend, cfg, r.encoder, r.decoder, { ...held, domain: "rings" });
const untrained = await evaluateModel(
  backend,
  cfg,
  initEncoderWeights(cfg.encoder, seed),
  initDecoderWeights(cfg.decoder, seed),
  {
    ...held,
    domain: "shapes",
  },
);
const round = (x: unknown): unknown =>
  typeof x === "number" ? Math.round(x * 1e4) / 1e4 : Array.isArray(x) ? x.map(round) : x;
const tidy = (e: object) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, round(v)]));
console.log("held-out shapes, trained:", tidy(trained));
console.log("held-out shapes, untrained:", tidy(untrained));
console.log("held-out rings (unseen domain), trained:", tidy(trainedRings));

await mkdir(outDir, { recursive: true });
await writeFile(
  join(outDir, "encoder.onnx"),
  buildEncoderOnnx(cfg.encoder, { weights: r.encoder, inputForm: "normalized" }).model,
);
await writeFile(
  join(outDir, "decoder.onnx"),
  buildDecoderOnnx(cfg.decoder, r.decoder, { variant: "public" }).model,
);
await writeFile(
  join(outDir, "decoder-throughput.onnx"),
  buildDecoderOnnx(cfg.decoder, r.decoder, { variant: "throughput" }).model,
);
const model = {
  name: "sam-train starter (tiny, procedural shapes)",
  config: cfg,
  encoderInputForm: "normalized",
  training: {
    seed,
    stepsPlanned: steps,
    stepsDone: r.steps,
    stoppedEarly: r.stoppedEarly,
    minutes: Math.round(trainMinutes * 10) / 10,
    simulation,
    promptsPerObject: Number(values.ppo),
    curriculum,
    loss: `focal ${values.focal} (ramped in over ${values["focal-ramp"]} of the run when non-zero) : dice 1 : IoU MSE 1`,
    command: `npx tsx scripts/train-starter.ts ${process.argv.slice(2).join(" ")}`,
    // The parent's own command (its model.json keeps the rest of its record).
    ...(init ? { warmStart: { from: values.init, command: init.training.command } } : {}),
    // Stage 1 (grouping-pretrain.ts): what the encoder was trained as, and its cell grouping probe.
    ...(stage1
      ? { encoderStage: { run: stage1.label, minutes: Math.round(stage1.minutes * 10) / 10, cellGroupingMIoU: tidy(stage1.probe) } }
      : {}),
    lr: Number(values.lr),
    data: `procedural 'shapes' scenes (generateScene, domain shapes), one scene per step, up to ${values.objects} objects`,
    machine: "2 shared CPU cores, tfjs-wasm single thread",
    log: r.log.filter((_, i) => i % 10 === 0).map((l) => tidy(l)),
  },
  metrics: {
    heldOut: `${held.count} procedural scenes (seeds ${held.firstSeed}..${held.firstSeed + held.count - 1}), masks at ${cfg.encoder.imgSize}x${cfg.encoder.imgSize}, ONNX files run by onnxruntime-node`,
    trainedShapes: tidy(trained),
    promptProbe: tidy(probe),
    untrainedShapes: tidy(untrained),
    trainedRingsUnseenDomain: tidy(trainedRings),
  },
};
await writeFile(join(outDir, "model.json"), JSON.stringify(model, null, 2) + "\n");
await rm(ckpt, { force: true });
await rm(groupCkpt, { force: true });
console.log(`wrote ${outDir}`);
