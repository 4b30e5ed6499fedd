/*
 * Evaluates a starter training checkpoint (.cache/starter.ckpt, or --ckpt) on held-out "shapes" scenes
 * while the run goes on: a progress probe, nothing is written.
 *
 *   npx tsx scripts/eval-starter-checkpoint.ts --ckpt /tmp/run.ckpt --img 128 --patch 16 --dec-heads 4 [--eval 12]
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  decoderParamSpecs,
  encoderParamSpecs,
  initDecoderWeights,
  type WeightMap,
} from "@data-engine/sam-core";
import { createNodeBackend } from "@data-engine/sam-core/node";
import { decodeCheckpoint } from "../src/checkpoint.ts";
import { GAUSSIAN } from "../src/model/decoder.ts";
import { evaluateModel, probeModel } from "../src/starter/eval-starter.ts";
import { parseSceneDomain } from "../src/starter/scenes.ts";
import { heldOutSceneSeed, starterConfig } from "../src/starter/train-starter.ts";

const { values } = parseArgs({
  options: {
    ckpt: { type: "string", default: ".cache/starter.ckpt" },
    seed: { type: "string", default: "1" },
    eval: { type: "string", default: "12" },
    img: { type: "string", default: "256" },
    patch: { type: "string", default: "16" },
    "dec-heads": { type: "string", default: "8" },
    "pe-scale": { type: "string", default: "1" },
    domain: { type: "string", default: "shapes" },
  },
});
const cfg = starterConfig(Number(values.img), Number(values.patch), Number(values["dec-heads"]));
const ck = decodeCheckpoint<{ step: number }>(new Uint8Array(await readFile(values.ckpt)));
const byName = new Map(ck.tensors.map((t) => [t.name, t]));
const pick = (names: string[]): WeightMap =>
  new Map(
    names.map((n) => {
      const t = byName.get(`p:${n}`)!;
      return [n, { shape: t.shape, data: new Float32Array(t.data) }];
    }),
  );
const encoder = pick(encoderParamSpecs(cfg.encoder).map((p) => p.name));
const decoder = pick(
  decoderParamSpecs(cfg.decoder)
    .map((p) => p.name)
    .filter((n) => n !== GAUSSIAN),
);
// The Fourier matrix is a buffer (never trained): the run's initial one.
const g = initDecoderWeights(cfg.decoder, Number(values.seed)).get(GAUSSIAN)!;
decoder.set(GAUSSIAN, { shape: g.shape, data: g.data.map((v) => v * Number(values["pe-scale"])) });
const backend = createNodeBackend();
const probe = await probeModel(backend, cfg, encoder, decoder, {
  count: Number(values.eval),
  firstSeed: heldOutSceneSeed(0),
  domain: "shapes",
});
const r = await evaluateModel(backend, cfg, encoder, decoder, {
  count: Number(values.eval),
  firstSeed: heldOutSceneSeed(0),
  grid: "input",
  domain: parseSceneDomain(values.domain),
});
const f = (x: number) => x.toFixed(3);
console.log(
  `step ${ck.meta.step}: 1 click ${f(r.mIoU1Click)} box ${f(r.mIoUBox)} clicks ${r.mIoUClicks.map(f).join(" ")} iou-mae ${f(r.iouCalibrationMae)} (${r.masks} masks); probe: IoU with the clicked object ${f(probe.own)}, with the others ${f(probe.others)}`,
);
