import { describe, expect, it } from "vitest";
import {
  batchedMaskToBox,
  batchedNms,
  boxArea,
  boxAreas,
  boxIou,
  maskToBox,
  nms,
  xywhToXyxy,
  xyxyToXywh,
} from "../../src/mask/boxes.ts";
import { MaskInputError } from "../../src/mask/errors.ts";
import type { Box } from "../../src/mask/types.ts";
import { blobMask, makeMask, rng } from "./helpers.ts";

/**
 * Reference NMS written as "repeatedly take the best remaining box": the highest score, lowest index on
 * ties; remove it and everything overlapping it by more than the threshold.
 */
function refNms(boxes: Box[], scores: number[], t: number, cats?: number[]): number[] {
  const iou = (a: Box, b: Box) => {
    const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
    const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
    const area = (x: Box) => (x[2] - x[0]) * (x[3] - x[1]);
    return (iw * ih) / (area(a) + area(b) - iw * ih);
  };
  let remaining = boxes.map((_, i) => i);
  const keep: number[] = [];
  while (remaining.length) {
    let best = remaining[0]!;
    for (const i of remaining) if (scores[i]! > scores[best]! || (scores[i] === scores[best] && i < best)) best = i;
    keep.push(best);
    remaining = remaining.filter(
      (j) => j !== best && !((cats ? cats[j] === cats[best] : true) && iou(boxes[best]!, boxes[j]!) > t),
    );
  }
  return keep;
}

describe("mask boxes", () => {
  it("inclusive [x0, y0, x1, y1], zeros for an empty mask (SAM batched_mask_to_box)", () => {
    expect(maskToBox(makeMask(5, 7, (x, y) => x >= 2 && x <= 4 && y === 3))).toEqual([2, 3, 4, 3]);
    expect(maskToBox(makeMask(5, 7, () => false))).toEqual([0, 0, 0, 0]);
    expect(maskToBox(makeMask(5, 7, () => true))).toEqual([0, 0, 6, 4]);
    expect(maskToBox(makeMask(1, 1, () => true))).toEqual([0, 0, 0, 0]); // one pixel at the origin
  });

  it("batched over a list and over a packed buffer agree with per-pixel extents", () => {
    const masks = [0, 1, 2, 3].map((s) => blobMask(17, 21, s, 2));
    masks.push(makeMask(17, 21, () => false));
    const packed = new Uint8Array(masks.length * 17 * 21);
    masks.forEach((m, k) => packed.set(m.data, k * 17 * 21));
    const fromList = batchedMaskToBox(masks);
    expect(batchedMaskToBox({ count: masks.length, height: 17, width: 21, data: packed })).toEqual(fromList);
    masks.forEach((m, k) => {
      const xs: number[] = [];
      const ys: number[] = [];
      m.data.forEach((v, i) => {
        if (v) {
          xs.push(i % 21);
          ys.push(Math.floor(i / 21));
        }
      });
      const want = xs.length ? [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] : [0, 0, 0, 0];
      expect(fromList[k]).toEqual(want);
    });
    expect(() => batchedMaskToBox({ count: 2, height: 3, width: 3, data: new Uint8Array(17) })).toThrow(
      MaskInputError,
    );
  });
});

describe("box geometry", () => {
  it("area and IoU use no +1 (torchvision)", () => {
    expect(boxArea([1, 2, 4, 6])).toBe(12);
    expect(Array.from(boxAreas([0, 0, 2, 2, 1, 1, 1, 5]))).toEqual([4, 0]);
    // [0,0,2,2] and [1,1,3,3]: intersection 1, union 4 + 4 - 1 = 7
    expect(boxIou([0, 0, 2, 2], [1, 1, 3, 3])).toBeCloseTo(1 / 7, 12);
    expect(boxIou([0, 0, 2, 2], [2, 0, 4, 2])).toBe(0); // touching edges
    expect(boxIou([1, 1, 1, 1], [1, 1, 1, 1])).toBe(0); // degenerate: 0, not NaN
    expect(xyxyToXywh([1, 2, 4, 6])).toEqual([1, 2, 3, 4]);
    expect(xywhToXyxy([1, 2, 3, 4])).toEqual([1, 2, 4, 6]);
  });
});

describe("nms", () => {
  it("hand case: suppresses IoU > threshold, keeps IoU == threshold", () => {
    // b0/b1 IoU = 1/7 (~0.143); b0/b2 identical; b3 far away.
    const boxes: Box[] = [
      [0, 0, 2, 2],
      [1, 1, 3, 3],
      [0, 0, 2, 2],
      [10, 10, 12, 12],
    ];
    expect(nms(boxes, [0.9, 0.8, 0.95, 0.1], 0.5)).toEqual([2, 1, 3]);
    expect(nms(boxes, [0.9, 0.8, 0.95, 0.1], 1 / 7 - 1e-9)).toEqual([2, 3]);
    expect(nms(boxes, [0.9, 0.8, 0.95, 0.1], 1)).toEqual([2, 0, 1, 3]); // IoU 1 is not > 1
  });

  it("ties keep input order (stable sort)", () => {
    const boxes: Box[] = [
      [0, 0, 10, 10],
      [0, 0, 10, 10],
      [0, 0, 10, 10],
    ];
    expect(nms(boxes, [0.5, 0.5, 0.5], 0.5)).toEqual([0]);
    expect(nms(boxes, [0.5, 0.7, 0.7], 0.5)).toEqual([1]);
  });

  it("flat arrays, typed arrays and tuples give the same result; matches the reference on random sets", () => {
    const r = rng(9);
    for (let t = 0; t < 40; t++) {
      const n = 1 + Math.floor(r() * 60);
      const boxes: Box[] = [];
      for (let i = 0; i < n; i++) {
        const x = Math.floor(r() * 50);
        const y = Math.floor(r() * 50);
        boxes.push([x, y, x + 1 + Math.floor(r() * 30), y + 1 + Math.floor(r() * 30)]);
      }
      const scores = boxes.map(() => Math.round(r() * 10) / 10); // many ties on purpose
      const cats = boxes.map(() => Math.floor(r() * 3));
      const thr = [0.3, 0.5, 0.7][t % 3]!;
      const want = refNms(boxes, scores, thr);
      expect(nms(boxes, scores, thr)).toEqual(want);
      expect(nms(Float32Array.from(boxes.flat()), Float32Array.from(scores), thr)).toEqual(
        refNms(boxes, Array.from(Float32Array.from(scores)), thr),
      );
      expect(batchedNms(boxes, scores, cats, thr)).toEqual(refNms(boxes, scores, thr, cats));
    }
  });

  it("batchedNms never suppresses across categories", () => {
    const boxes: Box[] = [
      [0, 0, 10, 10],
      [0, 0, 10, 10],
      [0, 0, 10, 10],
    ];
    expect(batchedNms(boxes, [0.1, 0.9, 0.5], [0, 1, 0], 0.5)).toEqual([1, 2]);
  });

  it("rejects mismatched inputs", () => {
    expect(() => nms([0, 0, 1], [1], 0.5)).toThrow(/multiple of 4/);
    expect(() => nms([[0, 0, 1, 1]], [1, 2], 0.5)).toThrow(/1 boxes but 2 scores/);
    expect(() => nms([[0, 0, 1, 1]], [Number.NaN], 0.5)).toThrow(/NaN/);
    expect(() => batchedNms([[0, 0, 1, 1]], [1], [], 0.5)).toThrow(/categories/);
    expect(nms([], [], 0.5)).toEqual([]);
  });
});
