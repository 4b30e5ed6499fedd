// The two-stage AMG decoders (low-rank form by default, the plain pair otherwise: tokens first, then masks
// for chosen prompts) against the throughput export they are rebuilt from, on the builder's tiny SAM with
// seeded random weights.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrtAmgDecoder } from "../../src/amg/ort-decoder.ts";
import type { OrtAmgDecoder } from "../../src/amg/ort-decoder.ts";
import { generateMasks } from "../../src/amg/generate.ts";
import type { AmgDecoder } from "../../src/amg/decoder.ts";
import { buildDecoderOnnx, initDecoderWeights } from "../../src/builder/index.ts";
import type { SamEmbedding } from "../../src/embedding/embedding.ts";
import { createNodeBackend } from "../../src/node.ts";
import { randomEmbedding, S, spreadPoints as points, tiny as cfg } from "./tiny-decoder.ts";

const weights = initDecoderWeights(cfg.decoder, 11);
const throughputModel = buildDecoderOnnx(cfg.decoder, weights, { variant: "throughput" }).model;
const backend = createNodeBackend();

let split: OrtAmgDecoder;
let pair: OrtAmgDecoder;
let plain: OrtAmgDecoder;
let embedding: SamEmbedding;

beforeAll(async () => {
  split = await createOrtAmgDecoder({ backend, decoder: throughputModel, sessionOptions: { threads: 1 } });
  pair = await createOrtAmgDecoder({ backend, decoder: throughputModel, sessionOptions: { threads: 1 }, lowRank: false });
  plain = await createOrtAmgDecoder({ backend, decoder: throughputModel, sessionOptions: { threads: 1 }, split: false });
  embedding = randomEmbedding(7);
});
afterAll(async () => {
  await Promise.all([split?.release(), pair?.release(), plain?.release()]);
});

describe("two-stage AMG decoder", () => {
  it("is used for a throughput export unless turned off", () => {
    expect(split.split.used).toBe(true);
    expect(split.split.form).toBe("low-rank");
    expect(typeof split.scoreBatch).toBe("function");
    expect(pair.split.form).toBe("pair");
    expect(pair.split.reason).toMatch(/low-rank form: not asked/);
    expect(plain.split).toEqual({ used: false, reason: "not asked" });
    expect(plain.scoreBatch).toBeUndefined();
  });

  it("gives the throughput export's IoU predictions and logits, for every prompt or a chosen few", async () => {
    const n = 7;
    const ref = await plain.decodeBatch(embedding, points(n), n);
    const scored = await split.scoreBatch!(embedding, points(n), n);
    expect(scored.numMasks).toBe(ref.numMasks);
    const m = ref.numMasks;
    const plane = ref.lowResHeight * ref.lowResWidth;
    for (let k = 0; k < n * m; k++) expect(Math.abs(scored.iouPredictions[k]! - ref.iouPredictions[k]!)).toBeLessThanOrEqual(1e-6);
    const chosen = [1, 4, 6];
    const some = await scored.masksOf(chosen);
    expect(some.lowResMasks.length).toBe(chosen.length * m * plane);
    let worst = 0;
    chosen.forEach((p, j) => {
      for (let q = 0; q < m * plane; q++) worst = Math.max(worst, Math.abs(some.lowResMasks[j * m * plane + q]! - ref.lowResMasks[p * m * plane + q]!));
    });
    expect(worst).toBeLessThanOrEqual(1e-5);
    // decodeBatch over the pair equals it too, and no prompt at all gives no logits.
    const all = await split.decodeBatch(embedding, points(n), n);
    expect(all.lowResMasks.length).toBe(ref.lowResMasks.length);
    expect((await scored.masksOf([])).lowResMasks.length).toBe(0);
  });

  it("gives the same logits for a consecutive run of chosen prompts (passed as views) and a scattered set", async () => {
    // Consecutive prompts' rows of the tokens graph's outputs are passed to the masks graph as views.
    const n = 44;
    const ref = await plain.decodeBatch(embedding, points(n), n);
    const scored = await split.scoreBatch!(embedding, points(n), n);
    const per = ref.numMasks * ref.lowResHeight * ref.lowResWidth;
    for (const chosen of [Array.from({ length: 33 }, (_, i) => i + 2), [2, 36, 38, 39, 43]]) {
      const some = await scored.masksOf(chosen);
      expect(some.lowResMasks.length).toBe(chosen.length * per);
      let worst = 0;
      chosen.forEach((p, j) => {
        for (let q = 0; q < per; q++) worst = Math.max(worst, Math.abs(some.lowResMasks[j * per + q]! - ref.lowResMasks[p * per + q]!));
      });
      expect(worst).toBeLessThanOrEqual(1e-5);
    }
  });

  it("the pair gives the same values as the low-rank form", async () => {
    const n = 5;
    const a = await split.decodeBatch(embedding, points(n), n);
    const b = await pair.decodeBatch(embedding, points(n), n);
    let worst = 0;
    for (let q = 0; q < a.lowResMasks.length; q++) worst = Math.max(worst, Math.abs(a.lowResMasks[q]! - b.lowResMasks[q]!));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it("recomputes the per-image projections when the embedding buffer is overwritten with another image", async () => {
    const n = 3;
    const other = Float32Array.from(embedding.data, (v, i) => (i % 7 === 0 ? -v : v * 0.5));
    const refOther = await plain.decodeBatch({ ...embedding, data: other }, points(n), n);
    const buffer = Float32Array.from(embedding.data);
    const reused = { ...embedding, data: buffer };
    await split.decodeBatch(reused, points(n), n); // prepares for the first image
    buffer.set(other);
    const got = await split.decodeBatch(reused, points(n), n);
    let worst = 0;
    for (let q = 0; q < got.lowResMasks.length; q++) worst = Math.max(worst, Math.abs(got.lowResMasks[q]! - refOther.lowResMasks[q]!));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it("falls back to the pair, saying why, for a transformer the low-rank form does not cover", async () => {
    const deep = { ...cfg.decoder, transformerDepth: 3 };
    const model = buildDecoderOnnx(deep, initDecoderWeights(deep, 2), { variant: "throughput" }).model;
    const dd = await createOrtAmgDecoder({ backend, decoder: model, sessionOptions: { threads: 1 } });
    try {
      expect(dd.split.used).toBe(true);
      expect(dd.split.form).toBe("pair");
      expect(dd.split.reason).toMatch(/2-layer transformer, got 3/);
    } finally {
      await dd.release();
    }
  });

  it("decodes masks only for prompts that pass the IoU filter, and generates the same masks", async () => {
    const input = (decoder: AmgDecoder) => ({ height: S, width: S, decoder, embedding });
    // The random model's IoU predictions sit near 0: pick a threshold that about half the prompts pass.
    const probe = await split.scoreBatch!(embedding, points(36), 36);
    const best = Array.from({ length: 36 }, (_, i) => Math.max(...[1, 2, 3].map((t) => probe.iouPredictions[i * 4 + t]!))).sort((a, b) => a - b);
    const predIouThresh = Math.min(1, Math.max(0, best[18]!));
    const options = { pointsPerSide: 6, predIouThresh, stabilityScoreThresh: 0.001, stabilityScoreOffset: 0.03, boxNmsThresh: 1, outputMode: "uncompressed_rle" as const };
    const a = await generateMasks(input(split), options);
    const b = await generateMasks(input(plain), options);
    expect(a.stats.maskPrompts).toBeGreaterThan(0);
    expect(a.stats.maskPrompts).toBeLessThan(a.stats.prompts);
    expect(b.stats.maskPrompts).toBe(b.stats.prompts);
    expect(a.stats.afterIou).toBe(b.stats.afterIou);
    expect(a.masks.length).toBeGreaterThan(0);
    expect(a.masks.map((m) => ({ ...m, predicted_iou: 0, stability_score: 0 }))).toEqual(
      b.masks.map((m) => ({ ...m, predicted_iou: 0, stability_score: 0 })),
    );
    a.masks.forEach((m, i) => {
      expect(Math.abs(m.predicted_iou - b.masks[i]!.predicted_iou)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(m.stability_score - b.masks[i]!.stability_score)).toBeLessThanOrEqual(1e-6);
    });
    // With no logits kept, every NMS survivor is decoded again (masksOf a different set of prompts):
    // the same masks come back.
    const c = await generateMasks({ ...input(split), keptLogitsBytes: 0 }, options);
    expect(c.stats.redecoded).toBe(c.stats.afterCropNms);
    expect(c.masks).toEqual(a.masks);
  });

  it("runs a quantized export as given, saying why", async () => {
    const q = buildDecoderOnnx(cfg.decoder, weights, { variant: "throughput", quantize: "dynamic-uint8" }).model;
    const dq = await createOrtAmgDecoder({ backend, decoder: q, sessionOptions: { threads: 1 } });
    try {
      expect(dq.split.used).toBe(false);
      expect(dq.split.reason).toMatch(/quantized/);
      expect(dq.scoreBatch).toBeUndefined();
    } finally {
      await dq.release();
    }
  });
});
