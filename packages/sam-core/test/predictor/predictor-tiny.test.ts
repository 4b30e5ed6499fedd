// End to end over the builder's tiny SAM (same architecture as ViT-B SAM, shrunk; seeded random weights).
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDecoderOnnx, initDecoderWeights, samConfig } from "../../src/builder/index.ts";
import { buildEncoderOnnx } from "../../src/builder/encoder/graph.ts";
import { createNodeBackend, decodeImage } from "../../src/node.ts";
import { createWebBackend } from "../../src/web.ts";
import { SamPredictor } from "../../src/index.ts";
import type { Prediction, RgbImage } from "../../src/index.ts";

const cfg = samConfig("tiny");
const weights = initDecoderWeights(cfg.decoder, 7);
const decoder = buildDecoderOnnx(cfg.decoder, weights, { variant: "public" }).model;
const singleDecoder = buildDecoderOnnx(cfg.decoder, weights, { variant: "public", returnSingleMask: true }).model;
const encoder = buildEncoderOnnx(cfg.encoder, { seed: 3, inputForm: "normalized" }).model;
const rawEncoder = buildEncoderOnnx(cfg.encoder, { seed: 3, inputForm: "raw-hwc" }).model;

let image: RgbImage;
let nodeP: SamPredictor;
let webP: SamPredictor;
beforeAll(async () => {
  image = await decodeImage(new Uint8Array(readFileSync("/work/shared/samples/chelsea.png")));
  [nodeP, webP] = await Promise.all([
    SamPredictor.create({ backend: createNodeBackend(), decoder, encoder, sessionOptions: { threads: 1 } }),
    SamPredictor.create({ backend: createWebBackend(), decoder, encoder }),
  ]);
  await Promise.all([nodeP.setImage(image), webP.setImage(image)]);
});
afterAll(async () => {
  await nodeP?.release();
  await webP?.release();
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maskAgreement(a: Prediction, b: Prediction): number {
  let same = 0;
  let total = 0;
  a.masks.forEach((m, i) => m.data.forEach((v, j) => ((total += 1), (same += v === b.masks[i]!.data[j] ? 1 : 0))));
  return same / total;
}

describe("tiny SAM end to end", () => {
  it("node and web give the same embedding and predictions", async () => {
    const ea = nodeP.getEmbedding();
    const eb = webP.getEmbedding();
    expect(ea.shape).toEqual([1, 64, 16, 16]);
    expect(ea.originalSize).toEqual([300, 451]);
    expect(ea.modelId).toBe(eb.modelId);
    expect(maxAbsDiff(ea.data, eb.data)).toBeLessThan(1e-3);
    webP.setEmbedding(ea); // same embedding on both sides isolates the decoder
    const prompt = { points: [[200, 120], [50, 250]] as [number, number][], labels: [1, 0], returnLogits: true };
    const [a, b] = await Promise.all([nodeP.predict(prompt), webP.predict(prompt)]);
    expect(a.masks).toHaveLength(3);
    expect(a.masks[0]!.height).toBe(300);
    expect(a.masks[0]!.width).toBe(451);
    a.scores.forEach((s, i) => expect(Math.abs(s - b.scores[i]!)).toBeLessThan(1e-4));
    a.lowResLogits.forEach((l, i) => expect(maxAbsDiff(l, b.lowResLogits[i]!)).toBeLessThan(1e-3));
    expect(maskAgreement(a, b)).toBeGreaterThan(0.999);
  });

  it("a single-mask export returns the multimask candidate with the best score for one click", async () => {
    const single = await SamPredictor.create({ backend: createNodeBackend(), decoder: singleDecoder });
    single.setEmbedding(nodeP.getEmbedding());
    const click = { points: [[300, 100]] as [number, number][], labels: [1] };
    const multi = await nodeP.predict({ ...click, multimask: true });
    const one = await single.predict(click);
    expect(one.masks).toHaveLength(1);
    expect(one.scores[0]).toBeCloseTo(multi.scores[multi.bestIndex]!, 4);
    expect(maxAbsDiff(one.lowResLogits[0]!, multi.lowResLogits[multi.bestIndex]!)).toBeLessThan(1e-4);
    // With several points the official selection bonus picks token 0, the non-multimask answer.
    const two = { points: [[300, 100], [100, 200]] as [number, number][], labels: [1, 1] };
    const tok0 = await nodeP.predict({ ...two, multimask: false });
    expect(maxAbsDiff((await single.predict(two)).lowResLogits[0]!, tok0.lowResLogits[0]!)).toBeLessThan(1e-4);
    await single.release();
  });

  it("takes boxes with points, and refinement with the previous logits changes the answer", async () => {
    const first = await nodeP.predict({ box: [100, 50, 350, 280], points: [[200, 150]], labels: [1], multimask: false });
    expect(first.masks[0]!.data.length).toBe(300 * 451);
    const refined = await nodeP.predict({ box: [100, 50, 350, 280], points: [[200, 150]], labels: [1], multimask: false, maskInput: first.lowResLogits[0]! });
    expect(maxAbsDiff(first.lowResLogits[0]!, refined.lowResLogits[0]!)).toBeGreaterThan(1e-3);
    const boxOnly = await nodeP.predict({ box: [100, 50, 350, 280], multimask: false });
    expect(maxAbsDiff(boxOnly.lowResLogits[0]!, first.lowResLogits[0]!)).toBeGreaterThan(1e-4);
    const low = await nodeP.predictLowRes({ box: [100, 50, 350, 280], points: [[200, 150]], labels: [1], multimask: false });
    expect(maxAbsDiff(low.lowResLogits[0]!, first.lowResLogits[0]!)).toBeLessThan(1e-5);
  });

  it("the raw-hwc encoder fed the reference-resized image gives the same embedding", async () => {
    const raw = await SamPredictor.create({ backend: createNodeBackend(), decoder, encoder: rawEncoder });
    const e = await raw.setImage(image);
    const ref = nodeP.getEmbedding();
    const scale = ref.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbsDiff(e.data, ref.data) / scale).toBeLessThan(1e-4);
    await raw.release();
  });
});
