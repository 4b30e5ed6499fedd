// Builds SAM-architecture models with the TypeScript builder, runs them with onnxruntime-node and
// writes models, inputs and outputs for check.py (an independent PyTorch re-implementation):
//   npx tsx scripts/torch-check/export-cases.ts <outDir> && /usr/bin/python3 scripts/torch-check/check.py <outDir>
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { samConfig, type DecoderConfig, type EncoderConfig } from "../../src/builder/config.ts";
import { buildDecoderOnnx, type DecoderBuildOptions } from "../../src/builder/decoder/graph.ts";
import { initDecoderWeights } from "../../src/builder/decoder/init.ts";
import { buildEncoderOnnx, type EncoderBuildOptions } from "../../src/builder/encoder/graph.ts";
import { initEncoderWeights } from "../../src/builder/encoder/init.ts";
import { Rng } from "../../src/builder/random.ts";
import { jitterWeights } from "../../src/builder/weights.ts";

interface TensorFile {
  file: string;
  shape: number[];
  dtype: "float32" | "int64";
}
interface Case {
  name: string;
  kind: "decoder" | "encoder";
  model: string;
  config: DecoderConfig | EncoderConfig;
  options: Record<string, unknown>;
  inputs: Record<string, TensorFile>;
  outputs: Record<string, TensorFile>;
}

const outDir = process.argv[2];
if (!outDir) throw new Error("usage: export-cases.ts <outDir>");
mkdirSync(outDir, { recursive: true });
const cases: Case[] = [];

function randn(n: number, seed: number, scale = 1): Float32Array<ArrayBuffer> {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal() * scale);
}

function save(prefix: string, name: string, t: ort.Tensor): TensorFile {
  const file = `${prefix}.${name}.bin`;
  const arr = t.data as Float32Array | BigInt64Array;
  writeFileSync(join(outDir, file), new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  return { file, shape: [...t.dims], dtype: t.type === "int64" ? "int64" : "float32" };
}

async function runCase(
  name: string,
  kind: Case["kind"],
  model: Uint8Array,
  config: Case["config"],
  options: Record<string, unknown>,
  feeds: Record<string, ort.Tensor>,
): Promise<void> {
  const file = `${name}.onnx`;
  writeFileSync(join(outDir, file), model);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const out = await session.run(feeds);
  const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, save(name, k, v)]));
  const outputs = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, save(name, k, v)]));
  cases.push({ name, kind, model: file, config, options, inputs, outputs });
}

const f32 = (d: ArrayLike<number>, dims: number[]) => new ort.Tensor("float32", Float32Array.from(d), dims);

interface P {
  coords: number[][];
  labels: number[];
  mask?: Float32Array;
}
function decoderFeeds(c: DecoderConfig, emb: Float32Array, ps: P[], orig?: [number, number]) {
  const s = c.embeddingSize;
  const n = ps[0]!.coords.length;
  const m = 16 * s * s;
  const masks = new Float32Array(ps.length * m);
  ps.forEach((p, i) => p.mask && masks.set(p.mask, i * m));
  const b = orig ? 1 : ps.length;
  const feeds: Record<string, ort.Tensor> = {
    image_embeddings: f32(emb, [1, c.transformerDim, s, s]),
    point_coords: f32(
      ps.flatMap((p) => p.coords.flat()),
      [b, n, 2],
    ),
    point_labels: f32(
      ps.flatMap((p) => p.labels),
      [b, n],
    ),
    mask_input: f32(masks, [b, 1, 4 * s, 4 * s]),
    has_mask_input: f32(
      ps.map((p) => (p.mask ? 1 : 0)),
      [b],
    ),
  };
  if (orig) feeds.orig_im_size = f32(orig, [2]);
  return feeds;
}

async function decoderCases(label: "tiny" | "vit_b"): Promise<void> {
  const c = samConfig(label).decoder;
  const w = jitterWeights(initDecoderWeights(c, 11), 12);
  const s = c.embeddingSize;
  const S = c.inputSize;
  const emb = randn(c.transformerDim * s * s, 21);
  const mask = randn(16 * s * s, 22, 3);
  const build = (o: DecoderBuildOptions) => buildDecoderOnnx(c, w, o).model;
  const point = (x: number, y: number) => [x * S, y * S];
  const many: P = { coords: [point(0.2, 0.4), point(0.7, 0.1), [0, 0]], labels: [1, 0, -1], mask };
  const one: P = { coords: [point(0.5, 0.5), [0, 0]], labels: [1, -1] };
  const box: P = { coords: [point(0.1, 0.2), point(0.6, 0.9), point(0.3, 0.5)], labels: [2, 3, 1] };
  const opts = (o: DecoderBuildOptions) => o as Record<string, unknown>;
  if (label === "vit_b") {
    await runCase(
      `${label}_public_many`,
      "decoder",
      build({}),
      c,
      {},
      decoderFeeds(c, emb, [many], [480, 640]),
    );
    await runCase(
      `${label}_public_box_single`,
      "decoder",
      build({ returnSingleMask: true }),
      c,
      opts({ returnSingleMask: true }),
      decoderFeeds(c, emb, [box], [1200, 900]),
    );
    return;
  }
  await runCase(
    `${label}_public_many`,
    "decoder",
    build({}),
    c,
    {},
    decoderFeeds(c, emb, [many], [300, 200]),
  );
  const single = { returnSingleMask: true };
  await runCase(
    `${label}_public_single_one`,
    "decoder",
    build(single),
    c,
    single,
    decoderFeeds(c, emb, [one], [100, 180]),
  );
  await runCase(
    `${label}_public_single_box`,
    "decoder",
    build(single),
    c,
    single,
    decoderFeeds(c, emb, [box], [77, 51]),
  );
  const extra = { returnExtraMetrics: true, gelu: "tanh" as const, opset: 16 };
  await runCase(
    `${label}_public_extra_tanh_o16`,
    "decoder",
    build(extra),
    c,
    extra,
    decoderFeeds(c, emb, [many], [257, 300]),
  );
  const stab = { useStabilityScore: true, opset: 18 };
  await runCase(
    `${label}_public_stability_o18`,
    "decoder",
    build(stab),
    c,
    stab,
    decoderFeeds(c, emb, [one], [256, 256]),
  );
  const batch: P[] = [
    many,
    { coords: [point(0.9, 0.9), point(0.1, 0.1), point(0.5, 0.2)], labels: [1, 1, 0] },
    {
      coords: [point(0.3, 0.3), point(0.8, 0.6), [0, 0]],
      labels: [2, 3, -1],
      mask: randn(16 * s * s, 23, 3),
    },
  ];
  const thr = { variant: "throughput" as const };
  await runCase(`${label}_throughput`, "decoder", build(thr), c, thr, decoderFeeds(c, emb, batch));
}

async function encoderCases(): Promise<void> {
  const base = samConfig("tiny").encoder;
  // A window that does not divide the 16x16 grid exercises window padding and unpartition cropping.
  const padded: EncoderConfig = { ...base, windowSize: 6, globalAttnIndexes: [2] };
  for (const [label, c] of [
    ["tiny", base],
    ["tiny_win6", padded],
  ] as const) {
    const weights = jitterWeights(initEncoderWeights(c, 31), 32, 0.05);
    const S = c.imgSize;
    const build = (o: EncoderBuildOptions) => buildEncoderOnnx(c, { weights, ...o }).model;
    const x = randn(3 * S * S, 41);
    await runCase(
      `enc_${label}_normalized`,
      "encoder",
      build({}),
      c,
      { inputForm: "normalized" },
      {
        input_image: f32(x, [1, 3, S, S]),
      },
    );
    if (label === "tiny") {
      const [h, w] = [150, 200];
      const r = new Rng(42);
      const rgb = Float32Array.from({ length: h * w * 3 }, () => Math.floor(r.next() * 256));
      const o = { inputForm: "raw-hwc" as const, gelu: "tanh" as const, opset: 16 };
      await runCase(`enc_${label}_rawhwc_tanh_o16`, "encoder", build(o), c, o, {
        input_image: f32(rgb, [h, w, 3]),
      });
    }
  }
}

await decoderCases("tiny");
await encoderCases();
if (!process.env.SAM_CHECK_SKIP_FULL) await decoderCases("vit_b");
if (process.env.SAM_CHECK_VIT_B_ENCODER) {
  // Slow (tens of seconds on CPU): the full-size encoder, where 64x64 patches pad to 70x70 windows.
  const c = samConfig("vit_b").encoder;
  const model = buildEncoderOnnx(c, { seed: 5 }).model;
  const x = randn(3 * c.imgSize * c.imgSize, 6);
  await runCase(
    "enc_vit_b_normalized",
    "encoder",
    model,
    c,
    { inputForm: "normalized" },
    {
      input_image: f32(x, [1, 3, c.imgSize, c.imgSize]),
    },
  );
}
writeFileSync(join(outDir, "manifest.json"), JSON.stringify({ cases }, null, 1));
console.log(`wrote ${cases.length} cases to ${outDir}`);
