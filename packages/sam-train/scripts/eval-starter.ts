/*
 * Evaluates shipped starter files (models/starter/, or --dir) with onnxruntime on held-out scenes: the
 * README table's metrics plus the prompt probe (does the mask follow the click?) and the encoder's cell
 * grouping probe (src/starter/grouping-probe.ts, on the same encoded scenes).
 *
 *   npx tsx scripts/eval-starter.ts [--dir models/starter] [--eval 40] [--domain shapes|rings|large] [--start-encoder 0.1]
 *
 * `--start-encoder S` swaps the folder's encoder for the start it was trained from (the colour
 * pass-through of src/starter/encoder-init.ts at residual scale S, or SAM's random start for S = 0, with
 * model.json's seed and config): whether the decoder needs what the encoder's training changed.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildEncoderOnnx, importDecoderWeights } from "@data-engine/sam-core";
import { createNodeBackend } from "@data-engine/sam-core/node";
import { evaluate, onnxDecoder } from "../src/evaluate.ts";
import { sceneSamples } from "../src/starter/eval-starter.ts";
import { readStarterModel } from "../src/starter/load-starter.ts";
import { samplesGroupingIoU } from "../src/starter/grouping-probe.ts";
import { promptProbe } from "../src/starter/prompt-probe.ts";
import { parseSceneDomain } from "../src/starter/scenes.ts";
import { heldOutSceneSeed, starterEncoderStart } from "../src/starter/train-starter.ts";

const { values } = parseArgs({
  options: {
    dir: {
      type: "string",
      default: join(dirname(fileURLToPath(import.meta.url)), "..", "models", "starter"),
    },
    eval: { type: "string", default: "40" },
    domain: { type: "string", default: "shapes" },
    "start-encoder": { type: "string" },
  },
});
const file = async (f: string) => new Uint8Array(await readFile(join(values.dir, f)));
const backend = createNodeBackend();
async function startEncoder(scale: number): Promise<Uint8Array> {
  const { config, training } = await readStarterModel(values.dir);
  if (training.seed === undefined) throw new Error(`${values.dir}/model.json has no training seed`);
  const ec = config.encoder;
  const weights = starterEncoderStart(ec, training.seed, scale > 0 ? { residualScale: scale } : undefined);
  return buildEncoderOnnx(ec, { weights, inputForm: "normalized" }).model;
}
const swapped = values["start-encoder"] !== undefined;
const encoder = swapped ? await startEncoder(Number(values["start-encoder"])) : await file("encoder.onnx");
const c = importDecoderWeights(await file("decoder.onnx")).config;
const scenes = {
  count: Number(values.eval),
  firstSeed: heldOutSceneSeed(0),
  domain: parseSceneDomain(values.domain),
  size: c.inputSize,
  lowSide: 4 * c.embeddingSize,
};
const dec = await onnxDecoder(backend, await file("decoder-throughput.onnx"), c);
const full = await sceneSamples(backend, encoder, { ...scenes, grid: "input" });
const r = await evaluate(c, dec.decode, full);
const probe = promptProbe(c, dec.decode, await sceneSamples(backend, encoder, { ...scenes, grid: "low" }));
const p = await probe;
const grouping = samplesGroupingIoU(full, c);
await dec.dispose();
const f = (x: number) => x.toFixed(3);
console.log(
  `${values.dir}${swapped ? ` (decoder on the encoder's start, ${Number(values["start-encoder"]) > 0 ? `structured, scale ${values["start-encoder"]}` : "SAM's random start"})` : ""} on ${scenes.domain} (${r.masks} masks, ${r.images} scenes at ${c.inputSize} px): 1 click ${f(r.mIoU1Click)} | box ${f(r.mIoUBox)} | clicks ${r.mIoUClicks.map(f).join(" ")} | IoU MAE ${f(r.iouCalibrationMae)} | probe: clicked object ${f(p.own)}, other objects ${f(p.others)} | encoder alone, cell grouping mIoU ${f(grouping)}`,
);
