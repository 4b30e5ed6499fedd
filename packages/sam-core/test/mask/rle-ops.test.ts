import { describe, expect, it } from "vitest";
import { MaskInputError } from "../../src/mask/errors.ts";
import { encodeMask, maskToRle, rleToMask } from "../../src/mask/rle.ts";
import {
  rleArea,
  rleBbox,
  rleContainment,
  rleIntersect,
  rleIntersectionArea,
  rleIou,
  rleIouMatrix,
  rleMerge,
  rleSubtract,
  rleUnion,
  rleXor,
} from "../../src/mask/rle-ops.ts";
import type { BinaryMask } from "../../src/mask/types.ts";
import { blobMask, countOnes, makeMask, noiseMask, rng } from "./helpers.ts";

/** Per-pixel references on decoded bitmaps. */
function pixelOp(a: BinaryMask, b: BinaryMask, f: (x: boolean, y: boolean) => boolean): BinaryMask {
  return { height: a.height, width: a.width, data: a.data.map((v, i) => (f(v !== 0, b.data[i] !== 0) ? 1 : 0)) };
}

function pixelBbox(m: BinaryMask): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      if (m.data[y * m.width + x]) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

function pairs(): [BinaryMask, BinaryMask][] {
  const out: [BinaryMask, BinaryMask][] = [];
  const r = rng(3);
  for (let t = 0; t < 60; t++) {
    const h = 1 + Math.floor(r() * 30);
    const w = 1 + Math.floor(r() * 30);
    const kind = t % 3;
    const mk = (seed: number) =>
      kind === 0 ? noiseMask(h, w, r(), seed) : kind === 1 ? blobMask(h, w, seed, 3) : makeMask(h, w, () => false);
    out.push([mk(t * 2 + 1), t % 5 === 0 ? makeMask(h, w, () => true) : mk(t * 2 + 2)]);
  }
  return out;
}

describe("RLE measures", () => {
  it("area and bbox equal pixel counts and pixel extents", () => {
    for (const [a] of pairs()) {
      const rle = encodeMask(a);
      expect(rleArea(rle)).toBe(countOnes(a));
      expect(rleBbox(rle)).toEqual(pixelBbox(a));
    }
  });

  it("bbox of hand-made cases (COCO [x, y, w, h])", () => {
    // 3x5, pixels (x=1,y=2) and (x=3,y=0): box x 1..3, y 0..2.
    const m = makeMask(3, 5, (x, y) => (x === 1 && y === 2) || (x === 3 && y === 0));
    expect(rleBbox(maskToRle(m))).toEqual([1, 0, 3, 3]);
    // A run wrapping from (x=0,y=3) into (x=1,y=0) spans all rows.
    expect(rleBbox({ size: [4, 3], counts: [3, 2, 7] })).toEqual([0, 0, 2, 4]);
    expect(rleBbox({ size: [4, 3], counts: [12] })).toEqual([0, 0, 0, 0]);
  });
});

describe("RLE IoU and set operations", () => {
  it("intersection, IoU, containment and boolean ops equal per-pixel results", () => {
    for (const [a, b] of pairs()) {
      const ra = encodeMask(a);
      const rb = maskToRle(b); // mix both flavours
      const inter = countOnes(pixelOp(a, b, (x, y) => x && y));
      const union = countOnes(pixelOp(a, b, (x, y) => x || y));
      expect(rleIntersectionArea(ra, rb)).toBe(inter);
      expect(rleIou(ra, rb)).toBeCloseTo(inter === 0 ? 0 : inter / union, 12);
      expect(rleContainment(ra, rb)).toBeCloseTo(inter === 0 ? 0 : inter / countOnes(a), 12);
      for (const [op, f] of [
        [rleUnion, (x: boolean, y: boolean) => x || y],
        [rleIntersect, (x: boolean, y: boolean) => x && y],
        [rleSubtract, (x: boolean, y: boolean) => x && !y],
        [rleXor, (x: boolean, y: boolean) => x !== y],
      ] as const) {
        const got = op(ra, rb);
        const want = pixelOp(a, b, f);
        expect(rleToMask(got)).toEqual(want);
        // Canonical: same runs as encoding the pixel result directly (no zero-length or split runs).
        expect(Array.from(got.counts)).toEqual(Array.from(maskToRle(want).counts));
      }
    }
  });

  it("IoU matrix matches pairwise IoU, with crowd columns using area(a)", () => {
    const masks = Array.from({ length: 7 }, (_, i) => blobMask(20, 24, 100 + i, 3));
    masks.push(makeMask(20, 24, () => false));
    const rles = masks.map(encodeMask);
    const crowd = rles.map((_, j) => j % 3 === 0);
    const m = rleIouMatrix(rles, rles, crowd);
    for (let i = 0; i < rles.length; i++) {
      for (let j = 0; j < rles.length; j++) {
        const want = crowd[j] ? rleContainment(rles[i]!, rles[j]!) : rleIou(rles[i]!, rles[j]!);
        expect(m[i * rles.length + j]).toBeCloseTo(want, 12);
      }
    }
    // Disjoint boxes: exactly 0 (the pre-check path).
    const left = encodeMask(makeMask(10, 10, (x) => x < 3));
    const right = encodeMask(makeMask(10, 10, (x) => x > 6));
    expect(Array.from(rleIouMatrix([left], [right, left]))).toEqual([0, 1]);
  });

  it("merge many: union and intersection", () => {
    const masks = [0, 1, 2].map((i) => blobMask(16, 16, 40 + i, 4));
    const rles = masks.map(encodeMask);
    const union = masks.reduce((acc, m) => pixelOp(acc, m, (x, y) => x || y));
    const inter = masks.reduce((acc, m) => pixelOp(acc, m, (x, y) => x && y));
    expect(rleToMask(rleMerge(rles))).toEqual(union);
    expect(rleToMask(rleMerge(rles, true))).toEqual(inter);
    expect(() => rleMerge([])).toThrow(MaskInputError);
  });

  it("rejects RLEs of different sizes", () => {
    const a = { size: [2, 3] as [number, number], counts: [6] };
    const b = { size: [3, 2] as [number, number], counts: [6] };
    expect(() => rleIou(a, b)).toThrow(/sizes differ: 2x3 vs 3x2/);
    expect(() => rleUnion(a, b)).toThrow(MaskInputError);
  });
});
