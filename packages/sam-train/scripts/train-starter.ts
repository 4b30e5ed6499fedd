/*
 * Trains the starter model (SAM architecture, `tiny` config: 256 px input, 16x16 embedding) from
 * scratch on procedural scenes and writes models/starter/{encoder.onnx, decoder.onnx,
 * decoder-throughput.onnx, model.json}. Resumes from .cache/starter.ckpt when killed.
 *
 *   npx tsx scripts/train-starter.ts [--steps 700] [--minutes 35] [--seed 1] [--eval 40]
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
  samConfig,
} from "@data-engine/sam-core";
import { createNodeBackend } from "@data-engine/sam-core/node";
import { evaluateModel } from "../src/starter/eval-starter.ts";
import { heldOutSceneSeed, STARTER_SIMULATION, trainStarter } from "../src/starter/train-starter.ts";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "800" },
    minutes: { type: "string", default: "30" },
    seed: { type: "string", default: "1" },
    eval: { type: "string", default: "40" },
    focal: { type: "string", default: "0" },
    lr: { type: "string", default: "1e-3" },
    out: { type: "string" },
  },
});
const here = dirname(fileURLToPath(import.meta.url));
const outDir = values.out ?? join(here, "..", "models", "starter");
const ckpt = join(here, "..", ".cache", "starter.ckpt");
const steps = Number(values.steps);
const seed = Number(values.seed);
const cfg = samConfig("tiny");
await mkdir(dirname(ckpt), { recursive: true });

const t0 = Date.now();
const r = await trainStarter({
  config: cfg,
  steps,
  seed,
  timeBudgetMs: Number(values.minutes) * 60_000,
  loss: { focal: Number(values.focal), dice: 1, iou: 1 },
  focalRamp: [0.25, 0.6],
  schedule: { lr: Number(values.lr), warmupSteps: 30, decay: "cosine", minLrRatio: 0.05 },
  checkpoint: {
    every: 25,
    store: {
      load: async () =>
        readFile(ckpt)
          .then((b) => new Uint8Array(b))
          .catch(() => null),
      save: async (bytes) => writeFile(ckpt, bytes),
    },
  },
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

const backend = createNodeBackend();
const held = { count: Number(values.eval), firstSeed: heldOutSceneSeed(0), grid: "input" as const };
const trained = await evaluateModel(backend, cfg, r.encoder, r.decoder, { ...held, domain: "shapes" });
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
    simulation: STARTER_SIMULATION,
    loss: `focal ${values.focal} : dice 1 : IoU MSE 1 (focal ramped in between 25% and 60% of the steps when non-zero)`,
    lr: Number(values.lr),
    data: "procedural 'shapes' scenes (generateScene, domain shapes), one scene per step, up to 6 objects",
    machine: "2 shared CPU cores, tfjs-wasm single thread",
    log: r.log.filter((_, i) => i % 10 === 0).map((l) => tidy(l)),
  },
  metrics: {
    heldOut: `${held.count} procedural scenes (seeds ${held.firstSeed}..${held.firstSeed + held.count - 1}), masks at 256x256, ONNX files run by onnxruntime-node`,
    trainedShapes: tidy(trained),
    untrainedShapes: tidy(untrained),
    trainedRingsUnseenDomain: tidy(trainedRings),
  },
};
await writeFile(join(outDir, "model.json"), JSON.stringify(model, null, 2) + "\n");
await rm(ckpt, { force: true });
console.log(`wrote ${outDir}`);
