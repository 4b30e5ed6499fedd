// The low-rank AMG decoder on worker threads (lowRankWorkers) against the same graphs run in this thread,
// on the builder's tiny SAM with seeded random weights: same IoU predictions and logits, prompts asked for
// across the workers' shares and across a worker's runs, an older batch's masks (scored again), another image, and its errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shares } from "../../src/amg/node/lowrank-pool.ts";
import { createOrtAmgDecoder, type OrtAmgDecoder } from "../../src/amg/ort-decoder.ts";
import { buildDecoderOnnx, initDecoderWeights } from "../../src/builder/index.ts";
import { createNodeBackend, lowRankWorkers } from "../../src/node.ts";
import { randomEmbedding as embeddingOf, spreadPoints as points, tiny as cfg } from "./tiny-decoder.ts";

const throughputModel = buildDecoderOnnx(cfg.decoder, initDecoderWeights(cfg.decoder, 5), { variant: "throughput" }).model;
const backend = createNodeBackend();

let pooled: OrtAmgDecoder;
let runs: OrtAmgDecoder;
let local: OrtAmgDecoder;

beforeAll(async () => {
  pooled = await createOrtAmgDecoder({ backend, decoder: throughputModel, lowRankRunner: lowRankWorkers({ workers: 3 }) });
  // Several tokens runs per share, masks runs that cut across them.
  runs = await createOrtAmgDecoder({ backend, decoder: throughputModel, lowRankRunner: lowRankWorkers({ workers: 2, promptsPerRun: { tokens: 2, masks: 3 } }) });
  local = await createOrtAmgDecoder({ backend, decoder: throughputModel, sessionOptions: { threads: 1 } });
});
afterAll(async () => {
  await Promise.all([pooled?.release(), runs?.release(), local?.release()]);
});

/** Largest absolute difference, and whether the lengths match. */
function gap(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

describe("low-rank AMG decoder on worker threads", () => {
  it("splits a batch into contiguous shares of near-equal size", () => {
    expect(shares(10, 3)).toEqual([{ start: 0, n: 3 }, { start: 3, n: 3 }, { start: 6, n: 4 }]);
    expect(shares(2, 3)).toEqual([{ start: 0, n: 1 }, { start: 1, n: 1 }]);
    expect(shares(48, 2)).toEqual([{ start: 0, n: 24 }, { start: 24, n: 24 }]);
  });

  it("is the low-rank rebuild, checked on the probe batch like the in-thread one", () => {
    expect(pooled.split.used).toBe(true);
    expect(pooled.split.form).toBe("low-rank");
  });

  it("gives the in-thread decoder's IoU predictions and logits, for every prompt or prompts of several shares", async () => {
    const e = embeddingOf(1);
    const p = points(10);
    const b = await local.scoreBatch!(e, p, 10);
    for (const decoder of [pooled, runs]) {
      const a = await decoder.scoreBatch!(e, p, 10);
      expect(a.numMasks).toBe(b.numMasks);
      expect(gap(a.iouPredictions, b.iouPredictions)).toBeLessThan(1e-5);
      for (const chosen of [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [2, 3, 7], [9], [0, 5, 6], [1, 2, 3, 4, 8]]) {
        const [ma, mb] = await Promise.all([a.masksOf(chosen), b.masksOf(chosen)]);
        expect(gap(ma.lowResMasks, mb.lowResMasks)).toBeLessThan(1e-3);
        expect(ma.lowResHeight).toBe(mb.lowResHeight);
      }
      expect((await a.masksOf([])).lowResMasks.length).toBe(0);
    }
  });

  it("scores an older batch's share again when its masks are asked for after newer batches", async () => {
    const e = embeddingOf(2);
    const first = await pooled.scoreBatch!(e, points(6), 6);
    // Two newer batches (each worker keeps its shares of the latest two), one of them on another image.
    await pooled.scoreBatch!(embeddingOf(3), points(6, 5), 6);
    await pooled.scoreBatch!(e, points(6, 9), 6);
    const ref = await local.scoreBatch!(e, points(6), 6);
    const [ma, mb] = await Promise.all([first.masksOf([1, 4, 5]), ref.masksOf([1, 4, 5])]);
    expect(gap(ma.lowResMasks, mb.lowResMasks)).toBeLessThan(1e-3);
  });

  it("notices an embedding buffer overwritten with another image", async () => {
    const e = embeddingOf(4);
    const before = await pooled.scoreBatch!(e, points(4), 4);
    e.data.set(embeddingOf(5).data);
    const after = await pooled.scoreBatch!(e, points(4), 4);
    const ref = await local.scoreBatch!(embeddingOf(5), points(4), 4);
    expect(gap(after.iouPredictions, ref.iouPredictions)).toBeLessThan(1e-5);
    expect(gap(after.iouPredictions, before.iouPredictions)).toBeGreaterThan(1e-3);
  });

  it("refuses prompts out of order or out of range, and bad pool sizes", async () => {
    const scored = await pooled.scoreBatch!(embeddingOf(6), points(5), 5);
    await expect(scored.masksOf([3, 1])).rejects.toThrow(/ascending/);
    await expect(scored.masksOf([2, 2])).rejects.toThrow(/ascending/);
    await expect(scored.masksOf([5])).rejects.toThrow(/below 5/);
    expect(() => lowRankWorkers({ workers: 0 })).toThrow(/workers must be a positive integer/);
    expect(() => lowRankWorkers({ threadsPerWorker: 1.5 })).toThrow(/threadsPerWorker/);
    expect(() => lowRankWorkers({ promptsPerRun: { masks: 0 } })).toThrow(/promptsPerRun.masks/);
  });

  it("fails with a clear error once released", async () => {
    const d2 = await createOrtAmgDecoder({ backend, decoder: throughputModel, lowRankRunner: lowRankWorkers({ workers: 2 }) });
    await d2.release();
    await expect(d2.scoreBatch!(embeddingOf(7), points(4), 4)).rejects.toThrow(/released/);
  });
});
