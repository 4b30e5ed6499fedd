// The predictor over decoders whose outputs are simple functions of their inputs (see onnx-fixtures.ts),
// so each number the predictor feeds or slices can be checked against a hand computation.
import { afterAll, describe, expect, it } from "vitest";
import { createNodeBackend } from "../../src/node.ts";
import { createWebBackend } from "../../src/web.ts";
import {
  EmbeddingMismatchError,
  ModelRoleError,
  normalizeAndPad,
  PredictorStateError,
  resizeLongestSide,
  SamPredictor,
} from "../../src/index.ts";
import type { OrtBackend, RgbImage } from "../../src/index.ts";
import { contractBaseLogits, contractDecoder, contractEncoder } from "../runtime/onnx-fixtures.ts";

const L = 16; // low-res side of the fixtures (embedding grid 4, input size 64)
const image: RgbImage = (() => {
  const width = 40;
  const height = 30;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 251;
  return { width, height, data };
})();

function embeddingSum(img: RgbImage): number {
  // Contract encoder: emb[c,i,j] = (c+1) * sum_rgb(patch mean); summed over c (1..8) and patches.
  const x = normalizeAndPad(resizeLongestSide(img, 64), 64);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return (36 * s) / 256;
}

const predictors: SamPredictor[] = [];
afterAll(async () => {
  for (const p of predictors) await p.release();
});

async function make(backend: OrtBackend, dec = contractDecoder(), enc: Uint8Array | null = contractEncoder()) {
  const p = await SamPredictor.create({ backend, decoder: dec, encoder: enc ?? undefined });
  predictors.push(p);
  return p;
}

describe.each([createNodeBackend(), createWebBackend()].map((b) => [b.name, b] as const))("SamPredictor on %s", (_n, backend) => {
  it("encodes, then feeds transformed points, padding, and selects tokens 1..3 for multimask", async () => {
    const p = await make(backend);
    expect(p.inputSize).toBe(64);
    expect(p.lowResSize).toEqual([16, 16]);
    const emb = await p.setImage(image);
    expect(emb.shape).toEqual([1, 8, 4, 4]);
    expect(emb.originalSize).toEqual([30, 40]);
    expect(emb.modelId).toMatch(/^sha256:[0-9a-f]{16}$/);
    const es = embeddingSum(image);
    let got = 0;
    emb.data.forEach((v) => (got += v));
    expect(got).toBeCloseTo(es, 2);

    // 40x30 -> 64x48: both scales 1.6. Point (10, 5) -> (16, 8); padding point (0,0) label -1.
    const r = await p.predict({ points: [[10, 5]], labels: [1], returnLogits: true });
    expect(r.tokens).toEqual([1, 2, 3]);
    expect(r.scores[0]).toBeCloseTo(8, 5); // sum of y
    expect(r.scores[1]).toBeCloseTo(0, 5); // sum of labels: 1 + (-1)
    expect(r.scores[2]).toBeCloseTo(0, 5); // no mask input
    expect(r.bestIndex).toBe(0);
    expect(r.masks).toHaveLength(3);
    for (const [i, k] of r.tokens.entries()) {
      const lr = r.lowResLogits[i]!;
      expect(lr.length).toBe(L * L);
      for (const [y, x] of [[0, 0], [5, 9], [15, 15]] as const) expect(lr[y * L + x]).toBeCloseTo(contractBaseLogits(k, y, x, 4) + es, 2);
      const m = r.masks[i]!;
      expect([m.height, m.width]).toEqual([30, 40]);
      const logits = r.logits![i]!;
      expect(m.data.every((v, j) => v === (logits[j]! > 0 ? 1 : 0))).toBe(true);
    }

    const single = await p.predict({ points: [[10, 5]], labels: [1], multimask: false });
    expect(single.tokens).toEqual([0]);
    expect(single.scores[0]).toBeCloseTo(16, 5); // sum of x
    expect(single.logits).toBeUndefined();
  });

  it("appends a box as labels 2 and 3 and refines with previous low-res logits", async () => {
    const p = await make(backend);
    await p.setImage(image);
    const r = await p.predict({ points: [[10, 5]], labels: [0], box: [0, 0, 20, 10] });
    // labels 0 + 2 + 3; y: 8 + 0 + 16
    expect(r.scores[1]).toBeCloseTo(5, 5);
    expect(r.scores[0]).toBeCloseTo(24, 4);
    const prev = r.lowResLogits[0]!;
    let prevSum = 0;
    prev.forEach((v) => (prevSum += v));
    const refined = await p.predict({ points: [[10, 5]], labels: [0], box: [0, 0, 20, 10], maskInput: prev });
    expect(refined.scores[2]).toBeCloseTo(prevSum + 1000, 0);
    // Refinement adds the previous logits to every token: the output changed by exactly that.
    const first = refined.lowResLogits[0]!;
    expect(first[37]! - r.lowResLogits[0]![37]!).toBeCloseTo(prev[37]!, 3);
    const low = await p.predictLowRes({ points: [[10, 5]], labels: [0], box: [0, 0, 20, 10], maskInput: prev });
    expect(low.scores).toEqual(refined.scores);
    expect(Array.from(low.lowResLogits[1]!)).toEqual(Array.from(refined.lowResLogits[1]!));
  });

  it("returns the one mask of a single-mask export whatever multimask says", async () => {
    const p = await make(backend, contractDecoder({ numMasks: 1 }));
    await p.setImage(image);
    for (const multimask of [true, false]) {
      const r = await p.predict({ points: [[10, 5]], labels: [1], multimask });
      expect(r.tokens).toEqual([0]);
      expect(r.masks).toHaveLength(1);
      expect(r.scores[0]).toBeCloseTo(16, 5);
    }
  });

  it("maps outputs of an extra-metrics export by rank, not by the misleading names", async () => {
    const p = await make(backend, contractDecoder({ extraMetrics: true }));
    await p.setImage(image);
    const r = await p.predict({ points: [[10, 5]], labels: [1] });
    expect(r.lowResLogits[0]!.length).toBe(L * L);
    expect(r.stabilityScores).toEqual(r.scores);
    expect(r.areas).toEqual(r.scores);
  });

  it("accepts an already-resized image with its original size", async () => {
    const p = await make(backend);
    const resized = resizeLongestSide(image, 64);
    const a = await p.setImage(resized, { originalSize: { height: 30, width: 40 } });
    expect(a.originalSize).toEqual([30, 40]);
    const b = Array.from((await p.setImage(image)).data);
    expect(Array.from(a.data)).toEqual(b);
    await expect(p.setImage(image, { originalSize: { height: 300, width: 400 } })).rejects.toThrow(/resizes to 64x48/);
  });

  it("gives the same embedding with the raw-hwc encoder form", async () => {
    const p = await make(backend, contractDecoder(), contractEncoder({ form: "raw-hwc" }));
    expect(p.encoderInfo!.sam.encoderInputForm).toBe("raw-hwc");
    const raw = await p.setImage(image);
    const q = await make(backend);
    const norm = await q.setImage(image);
    raw.data.forEach((v, i) => expect(v).toBeCloseTo(norm.data[i]!, 3));
  });
});

describe("SamPredictor errors", () => {
  const backend = createNodeBackend();
  it("refuses an encoder given as decoder, naming both roles", async () => {
    await expect(SamPredictor.create({ backend, decoder: contractEncoder() })).rejects.toThrow(ModelRoleError);
    await expect(SamPredictor.create({ backend, decoder: contractEncoder() })).rejects.toThrow(
      /expected a SAM decoder \(inputs image_embeddings, point_coords.*looks like a SAM image encoder \(input_image -> image_embeddings\)/,
    );
    await expect(SamPredictor.create({ backend, decoder: contractDecoder(), encoder: contractDecoder() })).rejects.toThrow(/expected a SAM image encoder/);
  });

  it("refuses an encoder/decoder pair whose embedding shapes differ", async () => {
    await expect(SamPredictor.create({ backend, decoder: contractDecoder(), encoder: contractEncoder({ channels: 16 }) })).rejects.toThrow(/not a matching pair/);
  });

  it("needs an image first, and refuses embeddings from another model", async () => {
    const p = await make(backend);
    await expect(p.predict({ points: [[1, 1]], labels: [1] })).rejects.toThrow(PredictorStateError);
    expect(() => p.getEmbedding()).toThrow(/no image set/);
    const emb = await p.setImage(image);
    expect(() => p.setEmbedding({ ...emb, modelId: "sha256:0000000000000000" })).toThrow(EmbeddingMismatchError);
    expect(() => p.setEmbedding({ ...emb, shape: [1, 8, 8, 8], data: new Float32Array(512) })).toThrow(/shape/);
    p.setEmbedding(emb);
    const decoderOnly = await make(backend, contractDecoder(), null);
    await expect(decoderOnly.setImage(image)).rejects.toThrow(/no encoder/);
    decoderOnly.setEmbedding(emb); // no model id of its own: any embedding of the right shape
    expect((await decoderOnly.predict({ points: [[10, 5]], labels: [1] })).scores[0]).toBeCloseTo(8, 5);
  });
});

it("node and web backends agree", async () => {
  const [a, b] = await Promise.all([make(createNodeBackend()), make(createWebBackend())]);
  const ea = await a.setImage(image);
  b.setEmbedding(ea);
  const prompt = { points: [[12, 7], [30, 20]] as [number, number][], labels: [1, 0], returnLogits: true };
  const [ra, rb] = await Promise.all([a.predict(prompt), b.predict(prompt)]);
  expect(rb.scores).toEqual(ra.scores);
  ra.logits!.forEach((l, i) => l.forEach((v, j) => expect(Math.abs(v - rb.logits![i]![j]!)).toBeLessThan(1e-4)));
});
