// Automatic generation over the builder's tiny SAM (seeded random weights): the batched throughput
// decoder, the public one-prompt-per-run decoder and the naive reference transcription must agree.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrtAmgDecoder } from "../../src/amg/ort-decoder.ts";
import type { OrtAmgDecoder } from "../../src/amg/ort-decoder.ts";
import { cropEncoder, cropRgbImage } from "../../src/amg/crop-encoder.ts";
import { generateMasks } from "../../src/amg/generate.ts";
import type { AmgOptions } from "../../src/amg/options.ts";
import { buildDecoderOnnx, initDecoderWeights, samConfig } from "../../src/builder/index.ts";
import { buildEncoderOnnx } from "../../src/builder/encoder/graph.ts";
import { createNodeBackend, decodeImage } from "../../src/node.ts";
import { SamPredictor } from "../../src/index.ts";
import type { RgbImage } from "../../src/index.ts";
import type { SamEmbedding } from "../../src/embedding/embedding.ts";
import type { Box, Rle } from "../../src/mask/types.ts";
import { naiveGenerate } from "./naive-reference.ts";

const cfg = samConfig("tiny");
const weights = initDecoderWeights(cfg.decoder, 11);
const publicDecoder = buildDecoderOnnx(cfg.decoder, weights, { variant: "public" }).model;
const throughputDecoder = buildDecoderOnnx(cfg.decoder, weights, { variant: "throughput" }).model;
const encoder = buildEncoderOnnx(cfg.encoder, { seed: 5, inputForm: "normalized" }).model;
const backend = createNodeBackend();

let image: RgbImage;
let predictor: SamPredictor;
let batched: OrtAmgDecoder;
let single: OrtAmgDecoder;

beforeAll(async () => {
  const full = await decodeImage(new Uint8Array(readFileSync("/work/shared/samples/chelsea.png")));
  image = cropRgbImage(full, [150, 60, 310, 180]); // 160 x 120 keeps the naive reference quick
  predictor = await SamPredictor.create({ backend, decoder: publicDecoder, encoder, sessionOptions: { threads: 1 } });
  batched = await createOrtAmgDecoder({ backend, decoder: throughputDecoder, sessionOptions: { threads: 1 } });
  single = await createOrtAmgDecoder({ backend, decoder: publicDecoder, sessionOptions: { threads: 1 } });
});
afterAll(async () => {
  await Promise.all([predictor?.release(), batched?.release(), single?.release()]);
});

// The random model's logits stay within about ±0.3, its IoU predictions below 0.15, and its masks all
// look alike (box IoU > 0.98): scale the filters down and let the NMS keep near-duplicates (a box IoU
// is never > 1) so that many masks reach the output.
const filters = { predIouThresh: 0.02, stabilityScoreThresh: 0.001, stabilityScoreOffset: 0.03, boxNmsThresh: 1, cropNmsThresh: 1 };
const options: AmgOptions = { pointsPerSide: 6, ...filters, cropNLayers: 1, outputMode: "uncompressed_rle" };

interface Comparable {
  segmentation: unknown;
  predicted_iou: number;
  stability_score: number;
}

function expectSameMasks(actual: readonly Comparable[], expected: readonly Comparable[], tol = 1e-6): void {
  const plain = (m: Comparable) => {
    const { segmentation, predicted_iou: _i, stability_score: _s, ...rest } = m;
    return { ...rest, counts: Array.from((segmentation as Rle).counts) };
  };
  expect(actual.map(plain)).toEqual(expected.map(plain));
  actual.forEach((m, i) => {
    expect(Math.abs(m.predicted_iou - expected[i]!.predicted_iou)).toBeLessThanOrEqual(tol);
    expect(Math.abs(m.stability_score - expected[i]!.stability_score)).toBeLessThanOrEqual(tol);
  });
}

describe("automatic generation with the tiny SAM", () => {
  it("recognises the two decoder exports", () => {
    expect(batched.kind).toBe("throughput");
    expect(single.kind).toBe("public");
    expect(single.maxBatch).toBe(1);
  });

  it("refuses single-mask exports, encoders and embeddings of another model", async () => {
    const singleMask = buildDecoderOnnx(cfg.decoder, weights, { variant: "public", returnSingleMask: true }).model;
    await expect(createOrtAmgDecoder({ backend, decoder: singleMask })).rejects.toThrow(/single-mask export/);
    await expect(createOrtAmgDecoder({ backend, decoder: encoder })).rejects.toThrow(/needs a SAM decoder/);
    const wrong: SamEmbedding = { data: new Float32Array(32 * 8 * 8), shape: [1, 32, 8, 8], originalSize: [120, 160], inputSize: 256, modelId: "" };
    await expect(generateMasks({ height: 120, width: 160, decoder: batched, embedding: wrong }, { pointsPerSide: 2 })).rejects.toThrow(
      /embedding shape \[1,32,8,8\] does not match the model's image_embeddings \[1,64,16,16\]/,
    );
  });

  it("batched == one prompt per run == naive reference, and deterministic", async () => {
    // Every run sees the same crops: encode each once (the encoder is not what is under test).
    const encode = cropEncoder(image, (crop) => predictor.setImage(crop));
    const cache = new Map<string, Promise<SamEmbedding>>();
    const encodeCrop = (box: Box) => {
      if (!cache.has(box.join())) cache.set(box.join(), encode(box));
      return cache.get(box.join())!;
    };
    const input = { height: image.height, width: image.width, encodeCrop };
    const a = await generateMasks({ ...input, decoder: batched }, options);
    const b = await generateMasks({ ...input, decoder: single }, options);
    const again = await generateMasks({ ...input, decoder: batched }, options);
    expect(a.masks.length).toBeGreaterThan(10);
    expect(a.stats.afterStability).toBeLessThan(a.stats.afterIou);
    expect(a.stats.afterCropEdge).toBeLessThan(a.stats.afterStability);
    expect(a.stats.decoderRuns).toBe(5);
    expect(b.stats.decoderRuns).toBe(5 * 36);
    // Same runs give identical bits; a different batch size may move a float32 score by an ulp (ORT
    // blocks its matrix products by batch), so scores compare within 1e-6 and everything else exactly.
    expect(again.masks).toEqual(a.masks);
    expectSameMasks(b.masks, a.masks);
    const thirteen = await generateMasks({ ...input, decoder: await createOrtAmgDecoder({ backend, decoder: throughputDecoder, maxBatch: 13 }) }, options);
    expectSameMasks(thirteen.masks, a.masks);

    const naive = await naiveGenerate(image.height, image.width, single, encodeCrop, {
      pointsPerSide: 6,
      pointsPerBatch: 64,
      ...filters,
      cropNLayers: 1,
      cropOverlapRatio: 512 / 1500,
      cropNPointsDownscaleFactor: 1,
      minMaskRegionArea: 0,
    });
    // The naive transcription ran the public decoder one prompt at a time, like b.
    expectSameMasks(
      naive.map(({ rle, ...rest }) => ({ ...rest, segmentation: rle })),
      b.masks,
      0,
    );
  });
});
