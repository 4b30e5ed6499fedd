// Point grids, crop boxes, resize tables and the window RLE against hand-computed values and the
// mask toolkit's own encoder.
import { describe, expect, it } from "vitest";
import { assertCropsUsable, generateCropBoxes } from "../../src/amg/crop-boxes.ts";
import { isBoxNearCropEdge } from "../../src/amg/crop-edge.ts";
import { buildAllLayerPointGrids, buildPointGrid } from "../../src/amg/point-grids.ts";
import { outputRangeReading, resampleAxis } from "../../src/amg/resample-axis.ts";
import { windowToRle } from "../../src/amg/window-rle.ts";
import { maskToRle } from "../../src/mask/rle.ts";
import { rng } from "../mask/helpers.ts";

describe("point grids (cell centres, rows of x, as build_point_grid)", () => {
  it("small grids by hand", () => {
    expect(Array.from(buildPointGrid(1))).toEqual([0.5, 0.5]);
    expect(Array.from(buildPointGrid(2))).toEqual([0.25, 0.25, 0.75, 0.25, 0.25, 0.75, 0.75, 0.75]);
    const g4 = Array.from(buildPointGrid(4));
    expect(g4.slice(0, 8)).toEqual([0.125, 0.125, 0.375, 0.125, 0.625, 0.125, 0.875, 0.125]);
    expect(g4.slice(-2)).toEqual([0.875, 0.875]);
  });

  it("32x32: first and last centres, even spacing", () => {
    const g = buildPointGrid(32);
    expect(g.length).toBe(32 * 32 * 2);
    expect(g[0]).toBe(1 / 64);
    expect(g[2 * 31]).toBe(63 / 64); // last x of the first row is pinned to the end exactly
    expect(g[2 * 32 + 1]).toBeCloseTo(3 / 64, 15); // second row's y
    for (let i = 1; i < 32; i++) expect(g[2 * i]! - g[2 * (i - 1)]!).toBeCloseTo(1 / 32, 12);
  });

  it("layers downscale by int(n / f^i)", () => {
    expect(buildAllLayerPointGrids(32, 2, 2).map((g) => g.length / 2)).toEqual([1024, 256, 64]);
    expect(buildAllLayerPointGrids(10, 2, 3).map((g) => g.length / 2)).toEqual([100, 9, 1]); // 10/3 -> 3, 10/9 -> 1
    expect(() => buildAllLayerPointGrids(4, 3, 2)).toThrow(/crop layer 3/);
  });
});

describe("crop boxes (generate_crop_boxes)", () => {
  it("1500 x 1000 image, two layers, by hand", () => {
    const crops = generateCropBoxes(1000, 1500, 2, 512 / 1500);
    expect(crops.length).toBe(1 + 4 + 16);
    expect(crops[0]).toEqual({ box: [0, 0, 1500, 1000], layer: 0 });
    // Layer 1: overlap = int(512/1500 * 1000 * 1) = 341; crop_w = ceil((341 + 1500) / 2) = 921;
    // crop_h = ceil((341 + 1000) / 2) = 671; x0 in {0, 580}, y0 in {0, 330}; x outer, y inner.
    expect(crops.slice(1, 5).map((c) => c.box)).toEqual([
      [0, 0, 921, 671],
      [0, 330, 921, 1000],
      [580, 0, 1500, 671],
      [580, 330, 1500, 1000],
    ]);
    // Layer 2: overlap = int(512/1500 * 1000 * 0.5) = 170; crop_w = ceil((510 + 1500) / 4) = 503;
    // crop_h = ceil((510 + 1000) / 4) = 378; x0 = 333k, y0 = 208k.
    const l2 = crops.slice(5).map((c) => c.box);
    expect(l2[0]).toEqual([0, 0, 503, 378]);
    expect(l2[1]).toEqual([0, 208, 503, 586]);
    expect(l2[4]).toEqual([333, 0, 836, 378]);
    expect(l2[15]).toEqual([999, 624, 1500, 1000]);
    expect(crops.slice(5).every((c) => c.layer === 2)).toBe(true);
  });

  it("rejects images too small for their crops", () => {
    expect(() => assertCropsUsable(generateCropBoxes(1, 1, 1, 512 / 1500), 1, 1)).toThrow(/too small for crop layer 1/);
    expect(() => assertCropsUsable(generateCropBoxes(64, 64, 3, 512 / 1500), 64, 64)).not.toThrow();
  });
});

describe("crop-edge test (is_box_near_crop_edge, atol 20)", () => {
  const image: [number, number, number, number] = [0, 0, 1000, 800];
  it("an inner crop edge counts, an image edge does not", () => {
    const crop: [number, number, number, number] = [400, 300, 900, 800];
    expect(isBoxNearCropEdge([100, 100, 200, 200], crop, image)).toBe(false);
    expect(isBoxNearCropEdge([20, 100, 200, 200], crop, image)).toBe(true); // x0 = 420, 20 from the crop's left
    expect(isBoxNearCropEdge([21, 100, 200, 200], crop, image)).toBe(false);
    expect(isBoxNearCropEdge([100, 100, 200, 499], crop, image)).toBe(false); // bottom is also the image's
    expect(isBoxNearCropEdge([100, 100, 481, 200], crop, image)).toBe(true); // x1 = 881 vs crop 900
  });
});

describe("resize tables (torch bilinear, align_corners=False)", () => {
  it("2 -> 4 and 4 -> 2 by hand", () => {
    const up = resampleAxis(2, 4); // src = (i + 0.5) / 2 - 0.5 = -0.25 (-> 0), 0.25, 0.75, 1.25
    expect(Array.from(up.i0)).toEqual([0, 0, 0, 1]);
    expect(Array.from(up.i1)).toEqual([1, 1, 1, 1]);
    expect(Array.from(up.w1)).toEqual([0, 0.25, 0.75, 0.25]);
    const down = resampleAxis(4, 2); // src = (i + 0.5) * 2 - 0.5 = 0.5, 2.5
    expect(Array.from(down.i0)).toEqual([0, 2]);
    expect(Array.from(down.w1)).toEqual([0.5, 0.5]);
  });

  it("output ranges reading an input range", () => {
    const up = resampleAxis(4, 16);
    const [lo, hi] = outputRangeReading(up, 2, 2);
    for (let i = 0; i < 16; i++) {
      const reads = up.i0[i] === 2 || up.i1[i] === 2;
      expect(i >= lo && i < hi).toBe(reads);
    }
    expect(outputRangeReading(up, 3, 2)).toEqual([0, 0]);
  });
});

describe("window RLE", () => {
  it("equals the toolkit's encoder on the full mask, for windows anywhere", () => {
    const r = rng(42);
    for (let trial = 0; trial < 300; trial++) {
      const H = 1 + Math.floor(r() * 12);
      const W = 1 + Math.floor(r() * 12);
      const wh = Math.floor(r() * (H + 1));
      const ww = Math.floor(r() * (W + 1));
      const y0 = Math.floor(r() * (H - wh + 1));
      const x0 = Math.floor(r() * (W - ww + 1));
      const p = r();
      const data = Uint8Array.from({ length: wh * ww }, () => (r() < p ? 1 : 0));
      const full = new Uint8Array(H * W);
      for (let c = 0; c < ww; c++) for (let y = 0; y < wh; y++) full[(y0 + y) * W + x0 + c] = data[c * wh + y]!;
      const got = windowToRle({ x0, y0, width: ww, height: wh, data }, H, W);
      const want = maskToRle({ height: H, width: W, data: full });
      expect(Array.from(got.counts)).toEqual(Array.from(want.counts));
      expect(got.size).toEqual([H, W]);
    }
  });
});
