import { describe, expect, it } from "vitest";
import { dedupAgainstExisting } from "../../src/amg/dedup.ts";
import { generateMasks } from "../../src/amg/generate.ts";
import type { AmgMaskRecord } from "../../src/amg/records.ts";
import { decodeMask, encodeMask } from "../../src/mask/rle.ts";
import type { CocoRle } from "../../src/mask/types.ts";
import { makeMask } from "../mask/helpers.ts";
import { fakeDecoder, fakeEncodeCrop } from "./fake-model.ts";

const H = 40;
const W = 50;
const rect = (x0: number, y0: number, x1: number, y1: number) => encodeMask(makeMask(H, W, (x, y) => x >= x0 && x < x1 && y >= y0 && y < y1));

describe("dedupAgainstExisting", () => {
  it("drops by IoU and by containment either way, keeps the rest in order", () => {
    const existing = [rect(0, 0, 10, 10), rect(20, 20, 40, 40)];
    const fresh = [
      rect(0, 0, 10, 9), // IoU 0.9 with existing[0]
      rect(30, 0, 40, 10), // disjoint (boxes apart)
      rect(22, 22, 30, 30), // inside existing[1]: containment 1 of the new one
      rect(15, 15, 48, 39), // holds 380 of existing[1]'s 400 px (0.95), IoU 380/792
      rect(5, 5, 15, 15), // overlaps existing[0] by 25 px: IoU 25/175, containment 0.25
      rect(1, 0, 11, 10), // shifted existing[0]: IoU 90/110, containment 0.9 both ways
    ];
    const r = dedupAgainstExisting(fresh, existing, { iouThresh: 0.7, containmentThresh: 0.9 });
    expect(r.keptIndices).toEqual([1, 4]);
    expect(r.kept).toEqual([fresh[1], fresh[4]]);
    expect(r.dropped.map((d) => [d.index, d.existing, d.reason])).toEqual([
      [0, 0, "iou"],
      [2, 1, "containment"],
      [3, 1, "containment"],
      [5, 0, "iou"],
    ]);
    expect(r.dropped[0]!.value).toBeCloseTo(0.9, 12);
    // Strict thresholds: only full containment (either way) and near-equal masks count as duplicates.
    expect(dedupAgainstExisting(fresh, existing, { iouThresh: 0.95, containmentThresh: 1 }).keptIndices).toEqual([1, 3, 4, 5]);
  });

  it("re-running generation on the same image with its previous output as existing adds nothing", async () => {
    const input = { height: 60, width: 70, decoder: fakeDecoder(64), encodeCrop: fakeEncodeCrop() };
    const opts = { pointsPerSide: 8, predIouThresh: 0.7, stabilityScoreThresh: 0.5, outputMode: "coco_rle" as const };
    const first = await generateMasks(input, opts);
    expect(first.masks.length).toBeGreaterThan(3);
    const existing = first.masks.map((m) => m.segmentation as CocoRle);
    const second = await generateMasks(input, opts);
    expect(dedupAgainstExisting(second.masks as AmgMaskRecord<CocoRle>[], existing).kept).toEqual([]);
    // Against a part of the previous output: what is dropped is what a pixel-by-pixel check drops.
    const half = existing.slice(0, Math.floor(existing.length / 2));
    const r = dedupAgainstExisting(second.masks, half, { iouThresh: 0.8, containmentThresh: 0.95 });
    const pixels = (c: CocoRle) => decodeMask(c).data;
    const expected = second.masks.flatMap((m, i) => {
      const a = pixels(m.segmentation as CocoRle);
      const dup = half.some((e) => {
        const b = pixels(e);
        let inter = 0;
        let na = 0;
        let nb = 0;
        for (let k = 0; k < a.length; k++) {
          na += a[k]!;
          nb += b[k]!;
          inter += a[k]! & b[k]!;
        }
        return inter > 0 && (inter / (na + nb - inter) >= 0.8 || inter / na >= 0.95 || inter / nb >= 0.95);
      });
      return dup ? [i] : [];
    });
    expect(r.dropped.map((d) => d.index)).toEqual(expected);
    expect(expected.length).toBeGreaterThanOrEqual(half.length);
    expect(expected.length).toBeLessThan(second.masks.length);
  });

  it("validates thresholds and inputs", () => {
    expect(() => dedupAgainstExisting([], [], { iouThresh: 0 })).toThrow(/iouThresh/);
    expect(() => dedupAgainstExisting([{ nope: 1 }], [])).toThrow(/RLE/);
    expect(() => dedupAgainstExisting([rect(0, 0, 1, 1)], [encodeMask(makeMask(3, 3, () => true))])).toThrow(/sizes differ/);
  });
});
