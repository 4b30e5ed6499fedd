/*
 * Training throughput of the tfjs-wasm trainer, and the time of one evaluation pass.
 *
 *   npm run bench -w @data-engine/sam-train [-- --full-steps 1 --small-steps 3 --objects 4]
 *
 * One step = one image with `objects` masks decoded together through the paper's 11 passes
 * (1 prompt + 8 corrective points + 2 mask-only), forward + backward each, then one AdamW update.
 */
import { parseArgs } from "node:util";
import { initDecoderWeights, Rng, samConfig, type DecoderConfig } from "@data-engine/sam-core";
import { createNodeBackend } from "@data-engine/sam-core/node";
import type { MaskSample } from "../src/dataset.ts";
import { evaluate, onnxDecoder, tfjsDecoder } from "../src/evaluate.ts";
import { exportDecoder } from "../src/export.ts";
import { trainDecoder } from "../src/train.ts";

const { values } = parseArgs({
  options: {
    "full-steps": { type: "string", default: "1" },
    "small-steps": { type: "string", default: "3" },
    objects: { type: "string", default: "4" },
    "eval-images": { type: "string", default: "8" },
  },
});
const objects = Number(values.objects);

function samples(c: DecoderConfig, images: number, perImage: number): MaskSample[] {
  const s = c.embeddingSize;
  const L = 4 * s;
  const rng = new Rng(7);
  const out: MaskSample[] = [];
  for (let i = 0; i < images; i++) {
    const embedding = Float32Array.from({ length: c.transformerDim * s * s }, () => rng.normal());
    for (let j = 0; j < perImage; j++) {
      const cx = L * (0.2 + 0.6 * rng.next());
      const cy = L * (0.2 + 0.6 * rng.next());
      const r = L * (0.05 + 0.15 * rng.next());
      const data = new Uint8Array(L * L);
      for (let y = 0; y < L; y++)
        for (let x = 0; x < L; x++) data[y * L + x] = (x - cx) ** 2 + (y - cy) ** 2 <= r * r ? 1 : 0;
      out.push({ imageId: `b${i}`, embedding, mask: { width: L, height: L, data } });
    }
  }
  return out;
}

async function trainBench(name: "tiny" | "vit_b", steps: number) {
  const c = samConfig(name).decoder;
  const ms: number[] = [];
  await trainDecoder({
    config: c,
    baseWeights: initDecoderWeights(c, 1),
    samples: samples(c, 2, objects),
    steps: steps + 1,
    maxObjectsPerStep: objects,
    minMasks: 1,
    onProgress: (p) => ms.push(p.ms),
  });
  const timed = ms.slice(1); // the first step pays one-off costs (kernels, allocations)
  const mean = timed.reduce((a, b) => a + b, 0) / timed.length;
  const label =
    name === "tiny"
      ? "small decoder (tiny: dim 64, 16x16 embedding)"
      : "full-size decoder (dim 256, 64x64 embedding)";
  console.log(
    `${label}: ${(1000 / mean).toFixed(3)} steps/s (${(mean / 1000).toFixed(2)} s/step, ${((11 * 1000) / mean).toFixed(2)} decoder fwd+bwd passes/s, ${objects} objects/step, ${timed.length} timed steps)`,
  );
}

async function evalBench(images: number) {
  const c = samConfig("tiny").decoder;
  const w = initDecoderWeights(c, 1);
  const data = samples(c, images, objects);
  const tfd = await tfjsDecoder(c, w);
  await evaluate(c, tfd.decode, data.slice(0, objects), { maxClicks: 1 });
  const a = await evaluate(c, tfd.decode, data);
  tfd.dispose();
  const onnx = await onnxDecoder(createNodeBackend(), exportDecoder(c, w).decoderThroughput, c);
  const b = await evaluate(c, onnx.decode, data);
  await onnx.dispose();
  console.log(
    `evaluation pass (tiny decoder, ${a.masks} masks on ${a.images} images, box + 5 clicks): tfjs ${(a.elapsedMs / 1000).toFixed(2)} s, onnxruntime-node ${(b.elapsedMs / 1000).toFixed(2)} s`,
  );
}

if (Number(values["small-steps"]) > 0) await trainBench("tiny", Number(values["small-steps"]));
if (Number(values["eval-images"]) > 0) await evalBench(Number(values["eval-images"]));
if (Number(values["full-steps"]) > 0) await trainBench("vit_b", Number(values["full-steps"]));
