import { describe, expect, it } from "vitest";
import { MaskInputError } from "../../src/mask/errors.ts";
import { fillHoles, removeSmallRegions } from "../../src/mask/regions.ts";
import type { RegionMode } from "../../src/mask/regions.ts";
import type { BinaryMask } from "../../src/mask/types.ts";
import { blobMask, floodLabels, makeMask, noiseMask, rng } from "./helpers.ts";

/**
 * A line-by-line transcription of SAM's reference (numpy + OpenCV), on flood-fill labels:
 *   working = correct_holes ^ mask; labels; sizes = areas of labels 1..;
 *   small = [i + 1 for sizes < thresh]; none -> (mask, False);
 *   fill = [0] + small; islands: fill = [i not in fill] or [argmax(sizes) + 1]; mask = isin(regions, fill)
 */
function reference(mask: BinaryMask, thresh: number, mode: RegionMode): { data: number[]; changed: boolean } {
  const correctHoles = mode === "holes";
  const working: BinaryMask = { ...mask, data: mask.data.map((v) => ((v !== 0) !== correctHoles ? 1 : 0)) };
  const { labels, count } = floodLabels(working, 8);
  const sizes: number[] = [];
  for (let l = 1; l < count; l++) sizes.push(labels.filter((v) => v === l).length);
  const small = sizes.flatMap((s, i) => (s < thresh ? [i + 1] : []));
  if (small.length === 0) return { data: Array.from(mask.data), changed: false };
  let fill = [0, ...small];
  if (!correctHoles) {
    fill = [...Array(count).keys()].filter((i) => !fill.includes(i));
    if (fill.length === 0) fill = [sizes.indexOf(Math.max(...sizes)) + 1];
  }
  return { data: Array.from(labels, (l) => (fill.includes(l) ? 1 : 0)), changed: true };
}

function ascii(rows: string[]): BinaryMask {
  return makeMask(rows.length, rows[0]!.length, (x, y) => rows[y]![x] === "#");
}

describe("removeSmallRegions", () => {
  it("holes: fills a one-pixel hole below the threshold, keeps it at the threshold", () => {
    const m = ascii(["#####", "##.##", "#####"]);
    const filled = removeSmallRegions(m, 2, "holes");
    expect(filled.changed).toBe(true);
    expect(Array.from(filled.mask.data)).toEqual(Array(15).fill(1));
    const kept = removeSmallRegions(m, 1, "holes");
    expect(kept.changed).toBe(false);
    expect(kept.mask).toBe(m);
  });

  it("holes: a small background notch at the border is filled too (reference semantics)", () => {
    const m = ascii(["#.###", "#####", "#####"]);
    const r = removeSmallRegions(m, 2, "holes");
    expect(r.changed).toBe(true);
    expect(Array.from(r.mask.data)).toEqual(Array(15).fill(1));
  });

  it("islands: removes specks, keeps big parts", () => {
    const m = ascii(["###...", "###..#", "###...", "......", "....##"]);
    const r = removeSmallRegions(m, 3, "islands");
    expect(r.changed).toBe(true);
    expect(r.mask).toEqual(ascii(["###...", "###...", "###...", "......", "......"]));
  });

  it("islands: when every part is small, keeps the largest (first on ties)", () => {
    const m = ascii(["##..#", ".....", "#..##"]);
    // 8-connected parts in raster order: {(0,0),(1,0)}=2, {(4,0)}=1, {(0,2)}=1, {(3,2),(4,2)}=2
    const r = removeSmallRegions(m, 10, "islands");
    expect(r.changed).toBe(true);
    expect(r.mask).toEqual(ascii(["##...", ".....", "....."]));
  });

  it("islands: diagonal pixels count as one region (8-connectivity)", () => {
    const m = ascii(["#..", ".#.", "..#"]);
    expect(removeSmallRegions(m, 3, "islands").changed).toBe(false);
    expect(removeSmallRegions(m, 4, "islands").mask).toEqual(m);
  });

  it("matches the transcribed reference on random masks, both modes", () => {
    const r = rng(5);
    for (let t = 0; t < 60; t++) {
      const h = 2 + Math.floor(r() * 24);
      const w = 2 + Math.floor(r() * 24);
      const m = t % 2 ? noiseMask(h, w, 0.15 + r() * 0.7, t) : blobMask(h, w, t, 7);
      const thresh = [1, 2, 3, 5, 8, 20, 1000][t % 7]!;
      for (const mode of ["holes", "islands"] as const) {
        const got = removeSmallRegions(m, thresh, mode);
        const want = reference(m, thresh, mode);
        expect(got.changed).toBe(want.changed);
        expect(Array.from(got.mask.data)).toEqual(want.data);
      }
    }
  });

  it("rejects a bad mode or threshold", () => {
    const m = ascii(["#"]);
    expect(() => removeSmallRegions(m, 1, "both" as RegionMode)).toThrow(MaskInputError);
    expect(() => removeSmallRegions(m, Number.NaN, "holes")).toThrow(/areaThresh/);
  });
});

describe("fillHoles", () => {
  it("fills enclosed background only, not regions open to the border", () => {
    const m = ascii(["#####.", "#..#..", "#####.", "......"]);
    expect(fillHoles(m)).toEqual(ascii(["#####.", "####..", "#####.", "......"]));
  });

  it("respects maxArea", () => {
    const m = ascii(["######", "#.##.#", "#.##.#", "#.####", "######"]);
    expect(fillHoles(m, { maxArea: 2 })).toEqual(ascii(["######", "#.####", "#.####", "#.####", "######"]));
  });

  it("a hole leaking through a diagonal gap is still a hole with 4-connectivity, not with 8", () => {
    const m = ascii(["###.", "#.#.", "##.#", "####"]);
    expect(fillHoles(m).data[5]).toBe(1);
    expect(fillHoles(m, { connectivity: 8 }).data[5]).toBe(0);
  });
});
