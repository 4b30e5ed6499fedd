import { describe, expect, it } from "vitest";
import { AmgInputError, AmgOptionsError } from "../../src/amg/errors.ts";
import { generateMasks } from "../../src/amg/generate.ts";
import { AMG_DEFAULTS, amgPreset, resolveAmgOptions } from "../../src/amg/options.ts";
import { fakeDecoder, fakeEmbedding, fakeEncodeCrop } from "./fake-model.ts";

describe("options", () => {
  it("defaults are the reference's", () => {
    const o = resolveAmgOptions();
    expect(o.pointGrids.map((g) => g.length / 2)).toEqual([1024]);
    expect(o).toMatchObject({
      pointsPerBatch: 64,
      predIouThresh: 0.88,
      stabilityScoreThresh: 0.95,
      stabilityScoreOffset: 1,
      boxNmsThresh: 0.7,
      cropNLayers: 0,
      cropNmsThresh: 0.7,
      cropOverlapRatio: 512 / 1500,
      minMaskRegionArea: 0,
      outputMode: "binary_mask",
    });
    expect(AMG_DEFAULTS.pointsPerSide).toBe(32);
  });

  it("sa1b preset: 32x32 + 16x16 + 8x8 grids, paper thresholds, clean-up and the 95% cap", () => {
    const o = resolveAmgOptions(amgPreset("sa1b"));
    expect(o.pointGrids.map((g) => g.length / 2)).toEqual([1024, 256, 64]);
    expect(o).toMatchObject({ cropNLayers: 2, predIouThresh: 0.88, stabilityScoreThresh: 0.95, minMaskRegionArea: 100, maxMaskAreaFraction: 0.95 });
    expect(resolveAmgOptions(amgPreset("sa1b", { pointsPerSide: 16 })).pointGrids[2]!.length / 2).toBe(16);
  });

  it("explicit grids replace pointsPerSide", () => {
    const o = resolveAmgOptions({ pointGrids: [[[0.5, 0.5], [0.1, 0.9]]] });
    expect(Array.from(o.pointGrids[0]!)).toEqual([0.5, 0.5, 0.1, 0.9]);
  });

  it.each([
    [{ pointsPerSide: 0 }, /pointsPerSide/],
    [{ pointsPerSide: 100000 }, /pointsPerSide/],
    [{ pointsPerSide: 2.5 }, /pointsPerSide/],
    [{ pointsPerSide: null }, /exactly one of pointsPerSide and pointGrids/],
    [{ pointsPerSide: 8, pointGrids: [[[0.5, 0.5]]] }, /exactly one/],
    [{ pointGrids: [[[0.5, 1.5]]] }, /pointGrids\[0\]\[0\]/],
    [{ pointGrids: [[[0.5, 0.5]]], cropNLayers: 1 }, /needs 2/],
    [{ pointsPerBatch: 0 }, /pointsPerBatch/],
    [{ predIouThresh: 1.2 }, /predIouThresh/],
    [{ stabilityScoreThresh: -0.1 }, /stabilityScoreThresh/],
    [{ boxNmsThresh: Number.NaN }, /boxNmsThresh/],
    [{ cropNmsThresh: 2 }, /cropNmsThresh/],
    [{ cropOverlapRatio: 1 }, /cropOverlapRatio/],
    [{ stabilityScoreOffset: -1 }, /stabilityScoreOffset/],
    [{ cropNLayers: 9 }, /cropNLayers/],
    [{ pointsPerSide: 4, cropNLayers: 3, cropNPointsDownscaleFactor: 2 }, /crop layer 3/],
    [{ minMaskRegionArea: -5 }, /minMaskRegionArea/],
    [{ outputMode: "png" }, /outputMode/],
  ])("rejects %j", (bad, msg) => {
    expect(() => resolveAmgOptions(bad as never)).toThrow(AmgOptionsError);
    expect(() => resolveAmgOptions(bad as never)).toThrow(msg);
  });
});

describe("input validation happens before any model work", () => {
  const neverDecoder = { maxBatch: 8, decodeBatch: () => Promise.reject(new Error("decoder must not run")) };
  const neverEncoder = () => Promise.reject(new Error("encoder must not run"));

  it("bad options, image sizes, missing functions", async () => {
    await expect(generateMasks({ height: 10, width: 10, decoder: neverDecoder, encodeCrop: neverEncoder }, { predIouThresh: 3 })).rejects.toThrow(AmgOptionsError);
    await expect(generateMasks({ height: 0, width: 10, decoder: neverDecoder, encodeCrop: neverEncoder })).rejects.toThrow(/image size/);
    await expect(generateMasks({ height: 10, width: 10, decoder: neverDecoder })).rejects.toThrow(/embedding or an encodeCrop/);
    await expect(
      generateMasks({ height: 10, width: 10, decoder: neverDecoder, embedding: fakeEmbedding(10, 10) }, { cropNLayers: 1 }),
    ).rejects.toThrow(/needs an encodeCrop/);
    await expect(generateMasks({ height: 1, width: 2, decoder: neverDecoder, encodeCrop: neverEncoder }, { cropNLayers: 2 })).rejects.toThrow(
      AmgInputError,
    );
  });

  it("an embedding of another image size or an inconsistent shape", async () => {
    await expect(generateMasks({ height: 10, width: 12, decoder: neverDecoder, embedding: fakeEmbedding(12, 10) })).rejects.toThrow(
      /computed for a 10x12 image, but the region is 12x10/,
    );
    const bad = { ...fakeEmbedding(10, 12), shape: [1, 8, 9, 9] as [number, number, number, number] };
    await expect(generateMasks({ height: 10, width: 12, decoder: neverDecoder, embedding: bad })).rejects.toThrow(/values but shape/);
  });

  it("a decoder whose masks do not match the embedding, or that returns one mask per prompt", async () => {
    const good = fakeDecoder(8);
    const wrongSize = {
      maxBatch: 8,
      decodeBatch: async (e: Parameters<typeof good.decodeBatch>[0], p: Float32Array, n: number) => {
        const out = await good.decodeBatch(e, p, n);
        return { ...out, lowResHeight: 16, lowResWidth: 128 };
      },
    };
    await expect(generateMasks({ height: 10, width: 12, decoder: wrongSize, encodeCrop: fakeEncodeCrop() }, { pointsPerSide: 2 })).rejects.toThrow(
      /decoder returned .* mask logits|low-res masks/,
    );
    const single = {
      maxBatch: 8,
      decodeBatch: async (_e: unknown, _p: Float32Array, n: number) => ({
        numMasks: 1,
        iouPredictions: new Float32Array(n),
        lowResMasks: new Float32Array(n * 32 * 32),
        lowResHeight: 32,
        lowResWidth: 32,
      }),
    };
    await expect(generateMasks({ height: 10, width: 12, decoder: single, encodeCrop: fakeEncodeCrop() }, { pointsPerSide: 2 })).rejects.toThrow(
      /multimask/,
    );
  });
});
