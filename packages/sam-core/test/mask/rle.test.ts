import { describe, expect, it } from "vitest";
import { MaskInputError, RleFormatError } from "../../src/mask/errors.ts";
import { decodeMask, encodeMask, maskToRle, rleToMask } from "../../src/mask/rle.ts";
import type { BinaryMask } from "../../src/mask/types.ts";
import { refEncode } from "./coco-reference.ts";
import { blobMask, get, makeMask, naiveRuns, noiseMask } from "./helpers.ts";

const SIZES: [number, number][] = [
  [1, 1],
  [3, 5],
  [5, 3],
  [7, 1],
  [1, 7],
  [4, 4], // word-aligned rows (the 4-pixels-at-a-time path)
  [8, 12],
  [13, 12],
  [12, 13],
  [31, 40],
  [64, 63],
  // widths that are not multiples of 4 take the shifted-word path (width % 4 = 1, 2, 3)
  [2, 5],
  [3, 6],
  [9, 6],
  [7, 10],
  [5, 9],
  [6, 11],
  [3, 2250],
];

function samples(): [string, BinaryMask][] {
  const out: [string, BinaryMask][] = [];
  let seed = 1;
  for (const [h, w] of SIZES) {
    out.push([`${h}x${w} empty`, makeMask(h, w, () => false)]);
    out.push([`${h}x${w} full`, makeMask(h, w, () => true)]);
    for (const p of [0.1, 0.5, 0.9]) out.push([`${h}x${w} noise ${p}`, noiseMask(h, w, p, seed++)]);
    out.push([`${h}x${w} blobs`, blobMask(h, w, seed++)]);
  }
  return out;
}

describe("maskToRle / rleToMask", () => {
  for (const [name, mask] of samples()) {
    it(`${name}: runs equal a column-by-column walk, and decode restores the mask`, () => {
      const rle = maskToRle(mask);
      expect(rle.size).toEqual([mask.height, mask.width]);
      expect(Array.from(rle.counts)).toEqual(naiveRuns(mask));
      expect(rleToMask(rle)).toEqual(mask);
      const coco = encodeMask(mask);
      expect(coco.counts).toBe(refEncode(naiveRuns(mask)));
      expect(decodeMask(coco)).toEqual(mask);
    });
  }

  it("reads any non-zero byte as foreground", () => {
    const m = makeMask(6, 8, (x, y) => (x + y) % 3 === 0);
    const loud: BinaryMask = { ...m, data: m.data.map((v) => v * 255) };
    expect(Array.from(maskToRle(loud).counts)).toEqual(naiveRuns(m));
  });

  it("works on a view into a larger buffer at an odd offset", () => {
    const m = noiseMask(9, 8, 0.5, 99);
    const big = new Uint8Array(m.data.length + 3);
    big.set(m.data, 3);
    const view: BinaryMask = { height: 9, width: 8, data: big.subarray(3) };
    expect(Array.from(maskToRle(view).counts)).toEqual(naiveRuns(m));
  });

  it("works on a word-aligned view whose width is not a multiple of 4", () => {
    const m = blobMask(11, 6, 98);
    const big = new Uint8Array(m.data.length + 8);
    big.set(m.data, 4);
    const view: BinaryMask = { height: 11, width: 6, data: big.subarray(4, 4 + m.data.length) };
    expect(Array.from(maskToRle(view).counts)).toEqual(naiveRuns(m));
  });

  it("a run wrapping from the bottom of one column into the next decodes correctly", () => {
    // h=4, w=3: zeros 2, ones 5 (column 0 rows 2-3, then column 1 rows 0-2), zeros 5
    const mask = rleToMask({ size: [4, 3], counts: [2, 5, 5] });
    const expected = makeMask(4, 3, (x, y) => {
      const p = x * 4 + y;
      return p >= 2 && p < 7;
    });
    expect(mask).toEqual(expected);
    expect(get(mask, 0, 3)).toBe(1);
    expect(get(mask, 1, 2)).toBe(1);
    expect(get(mask, 1, 3)).toBe(0);
  });

  it("accepts zero-length runs in the middle (other tools write them)", () => {
    const mask = rleToMask({ size: [2, 2], counts: [1, 1, 0, 1, 1] });
    expect(mask).toEqual(makeMask(2, 2, (x, y) => x * 2 + y === 1 || x * 2 + y === 2));
  });

  it("0x0 and 0xN masks", () => {
    expect(Array.from(maskToRle({ height: 0, width: 0, data: new Uint8Array(0) }).counts)).toEqual([0]);
    expect(encodeMask({ height: 0, width: 5, data: new Uint8Array(0) })).toEqual({ size: [0, 5], counts: "0" });
    expect(rleToMask({ size: [0, 5], counts: "0" }).data.length).toBe(0);
  });

  it("rejects malformed masks and RLEs with clear errors", () => {
    expect(() => maskToRle({ height: 2, width: 2, data: new Uint8Array(3) })).toThrow(MaskInputError);
    expect(() => maskToRle({ height: 2, width: 2, data: new Uint8Array(3) })).toThrow(/3 bytes but 2x2 needs 4/);
    expect(() => maskToRle({ height: 1.5, width: 2, data: new Uint8Array(3) })).toThrow(/non-negative integers/);
    expect(() => rleToMask({ size: [2, 2], counts: [1, 2] })).toThrow(RleFormatError);
    expect(() => rleToMask({ size: [2, 2], counts: "1!" })).toThrow(/invalid character/);
  });
});
