// The bounds-based upscaler against a full-resolution transcription of the reference's postprocessing
// (upsample to S x S, drop the padding, upsample to the crop, threshold), on logits built to sit on
// and next to every threshold, on noise, blobs and constant maps, for crops that are both smaller
// (the second resize shrinks) and larger than the encoder input.
import { describe, expect, it } from "vitest";
import { MaskUpscaler } from "../../src/amg/mask-upscaler.ts";
import type { UpscaleGeometry } from "../../src/amg/mask-upscaler.ts";
import { maskToRle } from "../../src/mask/rle.ts";
import type { Box } from "../../src/mask/types.ts";
import { rng } from "../mask/helpers.ts";
import { interpolate } from "./naive-reference.ts";

const f32 = Math.fround;

/** float32 neighbours of v (one ulp down / up). */
function ulps(v: number): [number, number] {
  const a = new Float32Array([v]);
  const i = new Int32Array(a.buffer);
  const b = new Float32Array(1);
  const j = new Int32Array(b.buffer);
  j[0] = i[0]! + (v >= 0 ? -1 : 1);
  const down = b[0]!;
  j[0] = i[0]! + (v >= 0 ? 1 : -1);
  return [down, b[0]!];
}

type Kind = "noise" | "edges" | "blob" | "sparse" | "constant" | "ulp";

/** float32 values one ulp either side of each threshold (and the smallest ones either side of 0). */
function nearThresholds(offset: number): number[] {
  return [...ulps(f32(offset)), ...ulps(f32(-offset)), 1.4e-45, -1.4e-45];
}

function makeLogits(kind: Kind, L: number, r: () => number, offset = 1): Float32Array {
  const out = new Float32Array(L * L);
  if (kind === "ulp") {
    // A constant map one ulp off a threshold: bounds alone would call every block decided, but the
    // weights sum to 1 only up to rounding, so the reference's values can land on the other side.
    const near = nearThresholds(offset);
    return out.fill(near[Math.floor(r() * near.length)]!);
  }
  const special = [0, 1, -1, 1e-30, -1e-30, 1e-7, -1e-7, ...ulps(1), ...ulps(-1), ...ulps(1e-6), 2e-6, -2e-6];
  const cx = r() * L;
  const cy = r() * L;
  const rad = 1 + r() * L * 0.4;
  const c = [0, 1, -1, 0.5, -5, 7][Math.floor(r() * 6)]!;
  for (let y = 0; y < L; y++) {
    for (let x = 0; x < L; x++) {
      let v: number;
      if (kind === "noise") v = (r() - 0.5) * 0.6;
      else if (kind === "edges") v = r() < 0.6 ? special[Math.floor(r() * special.length)]! : (r() - 0.5) * 4;
      else if (kind === "blob") v = 4 * (rad - Math.hypot(x - cx, y - cy)) + (r() - 0.5);
      else if (kind === "sparse") v = r() < 0.03 ? r() * 6 - 1 : -10;
      else v = c;
      out[y * L + x] = v;
    }
  }
  return out;
}

/** The reference: full-resolution logits of the crop, thresholded. */
function reference(low: Float32Array, g: UpscaleGeometry, thr: number) {
  const L = g.lowResHeight;
  const S = g.inputSize;
  const big = interpolate(low, L, L, S, S);
  const unpadded = new Float32Array(g.resizedHeight * g.resizedWidth);
  for (let y = 0; y < g.resizedHeight; y++) unpadded.set(big.subarray(y * S, y * S + g.resizedWidth), y * g.resizedWidth);
  const logits = interpolate(unpadded, g.resizedHeight, g.resizedWidth, g.cropHeight, g.cropWidth);
  let intersections = 0;
  let unions = 0;
  let area = 0;
  let box: Box = [Infinity, Infinity, -1, -1];
  const full = new Uint8Array(g.imageHeight * g.imageWidth);
  for (let y = 0; y < g.cropHeight; y++) {
    for (let x = 0; x < g.cropWidth; x++) {
      const v = logits[y * g.cropWidth + x]!;
      if (v > f32(thr)) intersections++;
      if (v > f32(-thr)) unions++;
      if (v > 0) {
        area++;
        full[(y + g.cropY0) * g.imageWidth + x + g.cropX0] = 1;
        box = [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)];
      }
    }
  }
  if (area === 0) box = [0, 0, 0, 0];
  const rle = maskToRle({ height: g.imageHeight, width: g.imageWidth, data: full });
  return { intersections, unions, area, box, counts: Array.from(rle.counts) };
}

function geometry(r: () => number): UpscaleGeometry {
  const L = 4 * (2 + Math.floor(r() * 5)); // 8..24
  const S = 4 * L;
  const cropHeight = 3 + Math.floor(r() * 2.5 * S);
  const cropWidth = 3 + Math.floor(r() * 2.5 * S);
  const scale = S / Math.max(cropHeight, cropWidth);
  const cropX0 = Math.floor(r() * 5);
  const cropY0 = Math.floor(r() * 5);
  return {
    lowResHeight: L,
    lowResWidth: L,
    inputSize: S,
    resizedHeight: Math.trunc(cropHeight * scale + 0.5),
    resizedWidth: Math.trunc(cropWidth * scale + 0.5),
    cropHeight,
    cropWidth,
    cropX0,
    cropY0,
    imageHeight: cropY0 + cropHeight + Math.floor(r() * 4),
    imageWidth: cropX0 + cropWidth + Math.floor(r() * 4),
  };
}

describe("MaskUpscaler (bounds-decided blocks, exact values elsewhere)", () => {
  const kinds: Kind[] = ["noise", "edges", "blob", "sparse", "constant", "ulp"];
  for (const kind of kinds) {
    it(`${kind} logits: stability counts, area, box and RLE equal the full-resolution reference`, () => {
      const r = rng(kinds.indexOf(kind) + 100);
      for (let trial = 0; trial < 40; trial++) {
        const g = geometry(r);
        const offset = [1, 0, 0.5, 1e-6, 0.3][trial % 5]!;
        const L = g.lowResHeight;
        // Two maps back to back: the upscaler reads the second one at an offset.
        const low = new Float32Array(2 * L * L);
        low.set(makeLogits(kind, L, r, offset), L * L);
        const want = reference(low.subarray(L * L), g, offset);
        const up = new MaskUpscaler(g, { thrHi: f32(offset), thrLo: f32(-offset) });
        const got = up.upscale(low, L * L);
        const what = `${kind} trial ${trial} ${JSON.stringify(g)} offset ${offset}`;
        expect({ ...got, rle: undefined, counts: Array.from(got.rle.counts) }, what).toEqual({ ...want, rle: undefined });
        // The staged calls the generator makes give the same answers, also from captured logits.
        up.load(low, L * L);
        expect(up.box(), what).toEqual(want.box);
        expect(up.area(), what).toBe(want.area);
        const kept = up.capture();
        expect(kept.data.length * 4).toBe(up.captureBytes());
        up.load(makeLogits("noise", L, r), 0); // something else in between
        up.loadCaptured(kept);
        expect(up.stabilityCounts(), what).toEqual({ intersections: want.intersections, unions: want.unions });
        expect(up.box(), what).toEqual(want.box);
        const m = up.materialize();
        expect([m.area, m.box, Array.from(m.rle.counts)], what).toEqual([want.area, want.box, want.counts]);
      }
    });
  }

  it("keeps only the low-res logits that can matter", () => {
    const g: UpscaleGeometry = {
      lowResHeight: 32,
      lowResWidth: 32,
      inputSize: 128,
      resizedHeight: 96,
      resizedWidth: 128,
      cropHeight: 300,
      cropWidth: 400,
      cropX0: 0,
      cropY0: 0,
      imageHeight: 300,
      imageWidth: 400,
    };
    const low = new Float32Array(32 * 32).fill(-20);
    low[10 * 32 + 12] = 100; // one hot low-res pixel
    const up = new MaskUpscaler(g, { thrHi: 1, thrLo: -1 });
    up.load(low, 0);
    expect(up.captureBytes()).toBeLessThanOrEqual(4 * 5 * 5);
    expect(up.materialize().area).toBeGreaterThan(0);
    low.fill(-20);
    up.load(low, 0);
    expect(up.captureBytes()).toBe(0);
    expect(up.materialize().area).toBe(0);
    expect(up.box()).toEqual([0, 0, 0, 0]);
  });

  it("refuses thresholds on the wrong side of the mask threshold", () => {
    const g = geometry(rng(1));
    expect(() => new MaskUpscaler(g, { thrHi: -1, thrLo: 1 })).toThrow(/thrLo <= 0 <= thrHi/);
  });
});
