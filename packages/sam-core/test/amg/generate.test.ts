import { describe, expect, it } from "vitest";
import { generateMasks } from "../../src/amg/generate.ts";
import type { AmgDecoder } from "../../src/amg/decoder.ts";
import type { AmgOptions } from "../../src/amg/options.ts";
import type { AmgMaskRecord } from "../../src/amg/records.ts";
import { rleArea } from "../../src/mask/rle-ops.ts";
import { toRle } from "../../src/mask/rle.ts";
import type { Box, Rle } from "../../src/mask/types.ts";
import { fakeDecoder, fakeEmbedding, fakeEncodeCrop } from "./fake-model.ts";
import { naiveGenerate } from "./naive-reference.ts";
import type { NaiveParams, NaiveRecord } from "./naive-reference.ts";

const REFERENCE_DEFAULTS: NaiveParams = {
  pointsPerSide: 32,
  pointsPerBatch: 64,
  predIouThresh: 0.88,
  stabilityScoreThresh: 0.95,
  stabilityScoreOffset: 1,
  boxNmsThresh: 0.7,
  cropNLayers: 0,
  cropNmsThresh: 0.7,
  cropOverlapRatio: 512 / 1500,
  cropNPointsDownscaleFactor: 1,
  minMaskRegionArea: 0,
};

function comparable(m: AmgMaskRecord | NaiveRecord) {
  const rle = "rle" in m ? m.rle : toRle(m.segmentation as Rle);
  return {
    counts: Array.from(rle.counts),
    area: m.area,
    bbox: m.bbox,
    predicted_iou: m.predicted_iou,
    point_coords: m.point_coords,
    stability_score: m.stability_score,
    crop_box: m.crop_box,
  };
}

async function both(height: number, width: number, params: Partial<NaiveParams>) {
  const p = { ...REFERENCE_DEFAULTS, ...params };
  const options: AmgOptions = { ...p, outputMode: "uncompressed_rle" };
  delete (options as Partial<NaiveParams>).cropNPointsDownscaleFactor;
  options.cropNPointsDownscaleFactor = p.cropNPointsDownscaleFactor;
  const fast = await generateMasks({ height, width, decoder: fakeDecoder(64), encodeCrop: fakeEncodeCrop() }, options);
  const naive = await naiveGenerate(height, width, fakeDecoder(1), fakeEncodeCrop(), p);
  return { fast, naive };
}

describe("generateMasks against a naive full-resolution transcription of the reference", () => {
  it("one crop, default filters relaxed so the fake model yields many masks", async () => {
    const { fast, naive } = await both(90, 120, { pointsPerSide: 12, predIouThresh: 0.8, stabilityScoreThresh: 0.6 });
    expect(naive.length).toBeGreaterThan(5);
    expect(fast.masks.map(comparable)).toEqual(naive.map(comparable));
    expect(fast.stats.afterCropEdge).toBeGreaterThan(fast.stats.output); // NMS removed some
  });

  it("two crop layers with point downscaling (cross-crop NMS prefers small crops)", async () => {
    const { fast, naive } = await both(100, 150, {
      pointsPerSide: 8,
      cropNLayers: 2,
      cropNPointsDownscaleFactor: 2,
      predIouThresh: 0.75,
      stabilityScoreThresh: 0.5,
    });
    expect(fast.stats.crops).toBe(21);
    expect(new Set(naive.map((m) => m.crop_box.join())).size).toBeGreaterThan(3);
    expect(fast.masks.map(comparable)).toEqual(naive.map(comparable));
  });

  it("small-region clean-up re-scores changed masks like the reference", async () => {
    const { fast, naive } = await both(80, 110, {
      pointsPerSide: 10,
      predIouThresh: 0.7,
      stabilityScoreThresh: 0.3,
      minMaskRegionArea: 40,
      cropNLayers: 1,
    });
    expect(naive.length).toBeGreaterThan(3);
    expect(fast.masks.map(comparable)).toEqual(naive.map(comparable));
    // The clean-up really changed masks (and so the order: changed masks rank last).
    const plain = await generateMasks(
      { height: 80, width: 110, decoder: fakeDecoder(64), encodeCrop: fakeEncodeCrop() },
      { pointsPerSide: 10, predIouThresh: 0.7, stabilityScoreThresh: 0.3, cropNLayers: 1 },
    );
    const areas = (ms: { area: number }[]) => ms.map((m) => m.area).sort((a, b) => a - b);
    expect(areas(plain.masks)).not.toEqual(areas(fast.masks));
  });

  it("an image larger than the encoder input (the second resize upsamples)", async () => {
    const { fast, naive } = await both(170, 230, { pointsPerSide: 7, predIouThresh: 0.75, stabilityScoreThresh: 0.5 });
    expect(naive.length).toBeGreaterThan(5);
    expect(fast.masks.map(comparable)).toEqual(naive.map(comparable));
  });

  it("filters disabled at 0 keep every candidate the NMS lets through", async () => {
    const { fast, naive } = await both(40, 40, { pointsPerSide: 4, predIouThresh: 0, stabilityScoreThresh: 0 });
    expect(fast.stats.afterStability).toBe(fast.stats.candidates);
    expect(fast.masks.map(comparable)).toEqual(naive.map(comparable));
  });
});

describe("generateMasks behaviour", () => {
  const opts: AmgOptions = { pointsPerSide: 10, predIouThresh: 0.75, stabilityScoreThresh: 0.5, cropNLayers: 1, outputMode: "coco_rle" };

  it("batched decoding equals one prompt per run (masks, scores, order)", async () => {
    const runs1: number[] = [];
    const runs64: number[] = [];
    const a = await generateMasks({ height: 70, width: 95, decoder: fakeDecoder(64, runs64), encodeCrop: fakeEncodeCrop() }, opts);
    const b = await generateMasks({ height: 70, width: 95, decoder: fakeDecoder(1, runs1), encodeCrop: fakeEncodeCrop() }, opts);
    expect(a.masks.length).toBeGreaterThan(0);
    expect(b.masks).toEqual(a.masks);
    expect(runs1.every((n) => n === 1)).toBe(true);
    expect(runs64.length).toBeLessThan(runs1.length);
    // pointsPerBatch larger than the decoder's maxBatch is split, not rejected.
    const c = await generateMasks({ height: 70, width: 95, decoder: fakeDecoder(7), encodeCrop: fakeEncodeCrop() }, { ...opts, pointsPerBatch: 30 });
    expect(c.masks).toEqual(a.masks);
  });

  it("splits a crop's prompts into batches of near-equal size, none over pointsPerBatch", async () => {
    // 100 prompts at 64 per batch: 50 + 50 (not 64 + 36); with crops, each crop's grid is split alike.
    const runs: number[] = [];
    const r = await generateMasks(
      { height: 70, width: 95, decoder: fakeDecoder(64, runs), encodeCrop: fakeEncodeCrop() },
      { ...opts, cropNLayers: 0, pointsPerBatch: 64 },
    );
    expect(runs).toEqual([50, 50]);
    const one: number[] = [];
    const b = await generateMasks(
      { height: 70, width: 95, decoder: fakeDecoder(1, one), encodeCrop: fakeEncodeCrop() },
      { ...opts, cropNLayers: 0 },
    );
    expect(b.masks).toEqual(r.masks);
  });

  it("past the kept-logits budget, NMS survivors are decoded again with the same masks", async () => {
    const input = () => ({ height: 70, width: 95, decoder: fakeDecoder(64), encodeCrop: fakeEncodeCrop() });
    const kept = await generateMasks(input(), opts);
    expect(kept.stats.redecoded).toBe(0);
    for (const keptLogitsBytes of [0, 2000]) {
      const again = await generateMasks({ ...input(), keptLogitsBytes }, opts);
      expect(again.masks).toEqual(kept.masks);
      expect(again.stats.redecoded).toBeGreaterThan(0);
      expect(again.stats.redecoded).toBeLessThanOrEqual(again.stats.afterCropNms);
      expect(again.stats.afterCropEdge).toBeGreaterThan(again.stats.afterCropNms);
    }
  });

  it("is deterministic", async () => {
    const run = () => generateMasks({ height: 64, width: 64, decoder: fakeDecoder(16), encodeCrop: fakeEncodeCrop() }, opts);
    expect((await run()).masks).toEqual((await run()).masks);
  });

  it("uses a stored full-image embedding for layer 0 and encodes only the crops", async () => {
    const calls: Box[] = [];
    const r = await generateMasks(
      { height: 60, width: 80, decoder: fakeDecoder(64), encodeCrop: fakeEncodeCrop(calls), embedding: fakeEmbedding(60, 80, 0) },
      opts,
    );
    expect(calls.length).toBe(4);
    expect(calls.some((b) => b[0] === 0 && b[1] === 0 && b[2] === 80 && b[3] === 60)).toBe(false);
    // Same as encoding the full image with the encoder (which tags [0,0] crops with 0 as well).
    const s = await generateMasks({ height: 60, width: 80, decoder: fakeDecoder(64), encodeCrop: fakeEncodeCrop() }, opts);
    expect(r.masks).toEqual(s.masks);
  });

  it("output modes carry the same masks; area and bbox agree with the segmentation", async () => {
    const base = { height: 50, width: 70, decoder: fakeDecoder(64), encodeCrop: fakeEncodeCrop() };
    const rle = await generateMasks(base, { ...opts, outputMode: "uncompressed_rle" });
    const bin = await generateMasks(base, { ...opts, outputMode: "binary_mask" });
    expect(rle.masks.length).toBeGreaterThan(0);
    rle.masks.forEach((m, i) => {
      const seg = m.segmentation as Rle;
      expect(rleArea(seg)).toBe(m.area);
      const mask = bin.masks[i]!.segmentation as { data: Uint8Array; width: number };
      let xs = Infinity;
      let xe = -1;
      let ys = Infinity;
      let ye = -1;
      mask.data.forEach((v, p) => {
        if (!v) return;
        const x = p % mask.width;
        const y = (p - x) / mask.width;
        xs = Math.min(xs, x);
        xe = Math.max(xe, x);
        ys = Math.min(ys, y);
        ye = Math.max(ye, y);
      });
      expect(mask.data.reduce((a, v) => a + v, 0)).toBe(m.area);
      expect(m.bbox).toEqual([xs, ys, xe - xs, ye - ys]);
    });
  });

  it("drops masks covering at least maxMaskAreaFraction of the image", async () => {
    const base = { height: 40, width: 40, decoder: fakeDecoder(64), encodeCrop: fakeEncodeCrop() };
    const o: AmgOptions = { pointsPerSide: 6, predIouThresh: 0, stabilityScoreThresh: 0, boxNmsThresh: 1 };
    const all = await generateMasks(base, o);
    const big = all.masks.filter((m) => m.area >= 0.08 * 1600).length;
    expect(big).toBeGreaterThan(0);
    const capped = await generateMasks(base, { ...o, maxMaskAreaFraction: 0.08 });
    expect(capped.masks.length).toBe(all.masks.length - big);
    expect(capped.masks.every((m) => m.area < 0.08 * 1600)).toBe(true);
  });

  it("keeps a mask covering the whole image when maxMaskAreaFraction is 1 (the default), as the reference", async () => {
    // Every logit positive: every candidate is the whole image.
    const everywhere: AmgDecoder = {
      maxBatch: 64,
      async decodeBatch(_e, _p, count) {
        return { numMasks: 4, iouPredictions: new Float32Array(count * 4).fill(0.9), lowResMasks: new Float32Array(count * 4 * 32 * 32).fill(5), lowResHeight: 32, lowResWidth: 32 };
      },
    };
    const o: NaiveParams = { ...REFERENCE_DEFAULTS, pointsPerSide: 2, stabilityScoreThresh: 0 };
    const fast = await generateMasks({ height: 30, width: 45, decoder: everywhere, encodeCrop: fakeEncodeCrop() }, { ...o, outputMode: "uncompressed_rle" });
    const naive = await naiveGenerate(30, 45, everywhere, fakeEncodeCrop(), o);
    expect(naive.map((m) => m.area)).toEqual([30 * 45]);
    expect(fast.masks.map(comparable)).toEqual(naive.map(comparable));
    const capped = await generateMasks({ height: 30, width: 45, decoder: everywhere, encodeCrop: fakeEncodeCrop() }, { ...o, maxMaskAreaFraction: 0.999 });
    expect(capped.masks).toEqual([]);
  });

  it("reports progress per crop and batch, and can be aborted", async () => {
    const seen: string[] = [];
    await generateMasks(
      { height: 50, width: 50, decoder: fakeDecoder(64), encodeCrop: fakeEncodeCrop(), onProgress: (p) => seen.push(`${p.crop}/${p.crops}:${p.batch}/${p.batches}`) },
      { pointsPerSide: 10, pointsPerBatch: 40, cropNLayers: 1 },
    );
    expect(seen.slice(0, 4)).toEqual(["0/5:0/3", "0/5:1/3", "0/5:2/3", "1/5:0/3"]);
    expect(seen.length).toBe(15);
    const ac = new AbortController();
    const p = generateMasks(
      { height: 50, width: 50, decoder: fakeDecoder(64), encodeCrop: fakeEncodeCrop(), signal: ac.signal, onProgress: () => ac.abort() },
      { pointsPerSide: 10, pointsPerBatch: 10 },
    );
    await expect(p).rejects.toThrow(/aborted/);
  });
});
