// The live-mask rasteriser against a literal re-statement of the decoder's post-processing (bilinear
// upsample to S x S, crop to the resized image, bilinear resize to the original), and the pixel edits
// against geometry.
import { describe, expect, it } from "vitest";
import { applyEdits, applyStroke, EditError } from "../../src/annotator/raster/edits.ts";
import { identityFrame, workFrame } from "../../src/annotator/raster/frame.ts";
import { logitsToFrameMask, lowResImageMask, maskToLowResLogits, resizedFrame } from "../../src/annotator/raster/logits.ts";
import { maskToFrame } from "../../src/annotator/raster/resample.ts";

/** torch.nn.functional.interpolate(mode="bilinear", align_corners=False) on one plane. */
function torchBilinear(src: Float64Array, h: number, w: number, oh: number, ow: number): Float64Array {
  const out = new Float64Array(oh * ow);
  const coord = (o: number, n: number, m: number) => {
    let s = ((o + 0.5) * n) / m - 0.5;
    if (s < 0) s = 0;
    const i0 = Math.min(Math.floor(s), n - 1);
    return { i0, i1: Math.min(i0 + 1, n - 1), t: s - i0 };
  };
  for (let y = 0; y < oh; y++) {
    const cy = coord(y, h, oh);
    for (let x = 0; x < ow; x++) {
      const cx = coord(x, w, ow);
      const v = (yy: number, xx: number) => src[yy * w + xx]!;
      const top = v(cy.i0, cx.i0) * (1 - cx.t) + v(cy.i0, cx.i1) * cx.t;
      const bottom = v(cy.i1, cx.i0) * (1 - cx.t) + v(cy.i1, cx.i1) * cx.t;
      out[y * ow + x] = top * (1 - cy.t) + bottom * cy.t;
    }
  }
  return out;
}

function decoderMask(logits: Float32Array, L: number, S: number, H: number, W: number): Uint8Array {
  const up = torchBilinear(Float64Array.from(logits), L, L, S, S);
  const r = resizedFrame({ width: W, height: H }, S);
  const crop = new Float64Array(r.height * r.width);
  for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) crop[y * r.width + x] = up[y * S + x]!;
  const full = torchBilinear(crop, r.height, r.width, H, W);
  return Uint8Array.from(full, (v) => (v > 0 ? 1 : 0));
}

function randomLogits(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  // Smooth blobs (sums of a few waves) so the threshold crosses often, like real logits.
  const a = [0, 0, 0, 0].map(() => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 6);
  const side = Math.sqrt(n);
  for (let i = 0; i < n; i++) {
    const x = (i % side) / side;
    const y = Math.floor(i / side) / side;
    out[i] = Math.sin(a[0]! + 9 * x) + Math.cos(a[1]! + 7 * y) + Math.sin(a[2]! + 5 * (x + y)) - 0.3 + 0.2 * Math.cos(a[3]! + 23 * x * y);
  }
  return out;
}

describe("logitsToFrameMask", () => {
  it("equals the decoder's full-size output pixel for pixel on the original frame", () => {
    for (const [W, H, seed] of [[40, 30, 1], [30, 47, 2], [64, 64, 3], [13, 70, 4]] as const) {
      const L = 16;
      const S = 64;
      const logits = randomLogits(L * L, seed);
      const ref = decoderMask(logits, L, S, H, W);
      const got = logitsToFrameMask(logits, { lowResSize: [L, L], inputSize: S, original: { width: W, height: H } }, identityFrame({ width: W, height: H }));
      const diff = ref.reduce((n, v, i) => n + (v !== got[i] ? 1 : 0), 0);
      expect(diff, `${W}x${H}`).toBe(0);
      expect(ref.some((v) => v === 1) && ref.some((v) => v === 0)).toBe(true);
    }
  });

  it("on a reduced frame samples the original pixel under each frame pixel", () => {
    const W = 90;
    const H = 60;
    const L = 16;
    const S = 64;
    const logits = randomLogits(L * L, 7);
    const ref = decoderMask(logits, L, S, H, W);
    const frame = workFrame({ width: W, height: H }, 30);
    expect([frame.width, frame.height]).toEqual([30, 20]);
    const got = logitsToFrameMask(logits, { lowResSize: [L, L], inputSize: S, original: { width: W, height: H } }, frame);
    for (let y = 0; y < frame.height; y++) {
      for (let x = 0; x < frame.width; x++) {
        expect(got[y * frame.width + x]).toBe(ref[Math.floor((y + 0.5) * 3) * W + Math.floor((x + 0.5) * 3)]);
      }
    }
  });

  it("refuses logits of the wrong size", () => {
    expect(() => logitsToFrameMask(new Float32Array(10), { lowResSize: [4, 4], inputSize: 16, original: { width: 4, height: 4 } }, identityFrame({ width: 4, height: 4 }))).toThrow(/10 values, expected 4x4/);
  });
});

describe("lowResImageMask", () => {
  it("keeps the low-res cells over the image (not the padding), thresholded, and agrees with the full-size mask", () => {
    const L = 64;
    const S = 256;
    const original = { width: 300, height: 170 };
    // A disc of positive logits, and positive padding that must be cropped away.
    const logits = new Float32Array(L * L);
    for (let y = 0; y < L; y++) for (let x = 0; x < L; x++) logits[y * L + x] = y >= 37 ? 5 : (x - 20) ** 2 + (y - 18) ** 2 < 100 ? 4 : -4;
    const g = { lowResSize: [L, L] as const, inputSize: S, original };
    const low = lowResImageMask(logits, g);
    const resized = resizedFrame(original, S);
    expect([low.width, low.height]).toEqual([L, Math.round((resized.height * L) / S)]);
    expect(low.height).toBe(36);
    expect(low.mask[18 * low.width + 20]).toBe(1);
    expect(low.mask[2 * low.width + 60]).toBe(0);
    const lowFraction = low.mask.reduce((a, b) => a + b, 0) / low.mask.length;
    const full = logitsToFrameMask(logits, g, identityFrame(original));
    const fullFraction = full.reduce((a, b) => a + b, 0) / full.length;
    expect(Math.abs(lowFraction - fullFraction)).toBeLessThan(0.01);
  });
});

describe("maskToLowResLogits", () => {
  it("is positive over the mask, negative elsewhere and in the padding", () => {
    const W = 80;
    const H = 40; // resized to 64x32 in a 64 frame: rows 8..15 of a 16 grid are padding
    const mask = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W / 2; x++) mask[y * W + x] = 1;
    const logits = maskToLowResLogits(mask, identityFrame({ width: W, height: H }), { lowResSize: [16, 16], inputSize: 64, original: { width: W, height: H } });
    for (let j = 0; j < 16; j++) {
      for (let i = 0; i < 16; i++) {
        const inside = j < 8 && i < 8;
        expect(Math.sign(logits[j * 16 + i]!), `${i},${j}`).toBe(inside ? 1 : -1);
      }
    }
  });
});

describe("edits", () => {
  const frame = identityFrame({ width: 100, height: 100 });
  const area = (m: Uint8Array) => m.reduce((a, v) => a + v, 0);

  it("a dab paints a disc of the pen's radius", () => {
    const m = new Uint8Array(100 * 100);
    applyStroke(m, frame, { kind: "brush", radius: 10, points: [[50, 50]] });
    expect(Math.abs(area(m) - Math.PI * 100) / (Math.PI * 100)).toBeLessThan(0.05);
    expect(m[50 * 100 + 50]).toBe(1);
    expect(m[50 * 100 + 62]).toBe(0);
  });

  it("a straight stroke paints a capsule, and the eraser removes it again", () => {
    const m = new Uint8Array(100 * 100);
    applyStroke(m, frame, { kind: "brush", radius: 5, points: [[20, 50], [80, 50]] });
    const expected = 60 * 10 + Math.PI * 25;
    expect(Math.abs(area(m) - expected) / expected).toBeLessThan(0.05);
    applyStroke(m, frame, { kind: "erase", radius: 6, points: [[20, 50], [80, 50]] });
    expect(area(m)).toBe(0);
  });

  it("scales with the frame: the same stroke on a half-size frame covers a quarter of the pixels", () => {
    const full = new Uint8Array(100 * 100);
    applyStroke(full, frame, { kind: "brush", radius: 12, points: [[30, 30], [60, 70]] });
    const half = workFrame({ width: 100, height: 100 }, 50);
    const small = new Uint8Array(50 * 50);
    applyStroke(small, half, { kind: "brush", radius: 12, points: [[30, 30], [60, 70]] });
    expect(Math.abs(area(small) * 4 - area(full)) / area(full)).toBeLessThan(0.06);
  });

  it("fills holes between strokes, and replays edits in order", () => {
    const m = new Uint8Array(100 * 100);
    applyEdits(m, frame, [
      { kind: "brush", radius: 3, points: [[20, 20], [80, 20], [80, 80], [20, 80], [20, 20]] },
      { kind: "fill" },
      { kind: "erase", radius: 2, points: [[50, 50]] },
    ]);
    expect(m[50 * 100 + 40]).toBe(1); // inside the ring: filled
    expect(m[50 * 100 + 50]).toBe(0); // erased after the fill
    expect(m[5 * 100 + 5]).toBe(0); // outside stays empty
  });

  it("refuses a stroke without points or with a bad radius", () => {
    expect(() => applyStroke(new Uint8Array(4), identityFrame({ width: 2, height: 2 }), { kind: "brush", radius: 0, points: [[0, 0]] })).toThrow(EditError);
    expect(() => applyStroke(new Uint8Array(4), identityFrame({ width: 2, height: 2 }), { kind: "brush", radius: 1, points: [] })).toThrow(/at least one point/);
  });
});

describe("maskToFrame", () => {
  it("is the identity on the original frame and samples pixel centres on a reduced one", () => {
    const W = 6;
    const H = 4;
    const full = Uint8Array.from({ length: W * H }, (_, i) => ((i % W) + Math.floor(i / W)) % 2);
    expect([...maskToFrame(full, { width: W, height: H }, identityFrame({ width: W, height: H }))]).toEqual([...full]);
    const half = workFrame({ width: W, height: H }, 3);
    const small = maskToFrame(full, { width: W, height: H }, half);
    // pixel (x, y) of the half frame reads original (2x + 1, 2y + 1)
    for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) expect(small[y * 3 + x]).toBe(full[(2 * y + 1) * W + 2 * x + 1]);
  });
});
