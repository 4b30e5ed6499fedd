import { createNodeBackend } from "@data-engine/sam-core/node";
import { importDecoderWeights, initDecoderWeights, samConfig, type WeightMap } from "@data-engine/sam-core";
import { describe, expect, it } from "vitest";
import type { CheckpointStore } from "../src/checkpoint.ts";
import {
  EmptyDatasetError,
  MissingEmbeddingError,
  TrainingCancelledError,
  TrainingDivergedError,
} from "../src/errors.ts";
import { evaluate, onnxDecoder, tfjsDecoder } from "../src/evaluate.ts";
import { exportDecoder } from "../src/export.ts";
import { trainDecoder, type TrainDecoderOptions } from "../src/train.ts";
import { discSamples } from "./fixtures.ts";
import { maxAbsDiff } from "./helpers.ts";

const c = samConfig("tiny").decoder;
const L = 4 * c.embeddingSize;
const embLen = c.transformerDim * c.embeddingSize ** 2;
const base = initDecoderWeights(c, 21);
const samples = discSamples(3, 3, L, embLen);
const quick = { pointRounds: 1, maskOnlyRounds: 1, boxProbability: 0.5 };
const opts = (over: Partial<TrainDecoderOptions> = {}): TrainDecoderOptions => ({
  config: c,
  baseWeights: base,
  samples,
  steps: 4,
  seed: 3,
  maxObjectsPerStep: 2,
  simulation: quick,
  schedule: { lr: 1e-3, warmupSteps: 1 },
  ...over,
});

function same(a: WeightMap, b: WeightMap): boolean {
  return [...a].every(([n, t]) => maxAbsDiff(t.data, b.get(n)!.data) === 0);
}

function memoryStore(): CheckpointStore & { saved: number[] } {
  let bytes: Uint8Array | null = null;
  const saved: number[] = [];
  return {
    saved,
    load: async () => bytes,
    save: async (b, step) => {
      bytes = b.slice();
      saved.push(step);
    },
  };
}

describe("trainDecoder", () => {
  it("runs the paper's 11-pass simulation, reports progress, and is deterministic for a seed", async () => {
    const seen: number[] = [];
    const o = opts({ steps: 1, simulation: undefined, onProgress: (p) => seen.push(p.step) });
    const a = await trainDecoder(o);
    const b = await trainDecoder(opts({ steps: 1, simulation: undefined }));
    expect(seen).toEqual([0]);
    expect(a.log.every((l) => Number.isFinite(l.loss) && l.loss > 0)).toBe(true);
    expect(same(a.weights, b.weights)).toBe(true);
    expect(same(a.weights, base)).toBe(false);
    const c2 = await trainDecoder(opts({ steps: 1, simulation: undefined, seed: 4 }));
    expect(same(a.weights, c2.weights)).toBe(false);
  }, 60_000);

  it("a killed run resumes from its checkpoint to the same result as an uninterrupted run", async () => {
    const full = await trainDecoder(opts());
    const store = memoryStore();
    const ac = new AbortController();
    await expect(
      trainDecoder(
        opts({
          checkpoint: { store, every: 10 },
          signal: ac.signal,
          onProgress: (p) => p.step === 1 && ac.abort(),
        }),
      ),
    ).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(store.saved).toEqual([2]);
    const resumed = await trainDecoder(opts({ checkpoint: { store, every: 10 } }));
    expect(resumed.resumedFrom).toBe(2);
    expect(resumed.log.map((l) => l.step)).toEqual([0, 1, 2, 3]);
    expect(same(resumed.weights, full.weights)).toBe(true);
  }, 60_000);

  it("trains only the chosen subset (hypernetworks + IoU head)", async () => {
    const r = await trainDecoder(opts({ steps: 2, trainable: "heads" }));
    const changed = (n: string) => maxAbsDiff(r.weights.get(n)!.data, base.get(n)!.data) > 0;
    for (const n of r.weights.keys()) {
      const head = n.includes("output_hypernetworks_mlps") || n.includes("iou_prediction_head");
      // (a multimask token's MLP only moves when its mask was the best of three at least once)
      if (!head) expect(changed(n), n).toBe(false);
    }
    expect(
      r.trainable.every((n) => n.includes("output_hypernetworks_mlps") || n.includes("iou_prediction_head")),
    ).toBe(true);
    expect(changed("mask_decoder.iou_prediction_head.layers.2.weight")).toBe(true);
    expect(changed("mask_decoder.output_hypernetworks_mlps.0.layers.2.weight")).toBe(true);
  }, 60_000);

  it("stops with a clear reason on NaN, empty/tiny data and missing embeddings", async () => {
    const bad: WeightMap = new Map(base);
    const t = base.get("mask_decoder.iou_token.weight")!;
    bad.set("mask_decoder.iou_token.weight", { shape: t.shape, data: t.data.map(() => NaN) });
    await expect(trainDecoder(opts({ baseWeights: bad }))).rejects.toThrow(TrainingDivergedError);
    await expect(trainDecoder(opts({ baseWeights: bad }))).rejects.toThrow(/diverged at step 0/);
    await expect(trainDecoder(opts({ samples: [] }))).rejects.toThrow(EmptyDatasetError);
    await expect(trainDecoder(opts({ samples: samples.slice(0, 2) }))).rejects.toThrow(/too small: 2 mask/);
    const orphan = samples.map((s, i) => (i === 4 ? { ...s, imageId: "lost", embedding: null } : s));
    await expect(trainDecoder(opts({ samples: orphan }))).rejects.toThrow(MissingEmbeddingError);
    await expect(trainDecoder(opts({ samples: orphan }))).rejects.toThrow(/lost/);
    const wrong = samples.map((s) => ({ ...s, embedding: new Float32Array(10) }));
    await expect(trainDecoder(opts({ samples: wrong }))).rejects.toThrow(/does not fit the decoder/);
  });

  it("exports the trained decoder: public + throughput ONNX that run the trained weights", async () => {
    const r = await trainDecoder(opts({ steps: 2 }));
    const files = exportDecoder(c, r.weights);
    const back = importDecoderWeights(files.decoder);
    for (const [n, t] of r.weights) expect(maxAbsDiff(back.weights.get(n)!.data, t.data), n).toBe(0);
    const held = discSamples(2, 2, L, embLen, 9);
    const viaOnnx = await onnxDecoder(createNodeBackend(), files.decoderThroughput, c);
    const viaTf = await tfjsDecoder(c, r.weights);
    const a = await evaluate(c, viaOnnx.decode, held, { maxClicks: 2 });
    const b = await evaluate(c, viaTf.decode, held, { maxClicks: 2 });
    await viaOnnx.dispose();
    viaTf.dispose();
    expect(a.masks).toBe(4);
    expect(Math.abs(a.mIoU1Click - b.mIoU1Click)).toBeLessThan(1e-3);
    expect(Math.abs(a.mIoUBox - b.mIoUBox)).toBeLessThan(1e-3);
    expect(Math.abs(a.iouCalibrationMae - b.iouCalibrationMae)).toBeLessThan(1e-3);
  }, 60_000);
});
