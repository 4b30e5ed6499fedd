import { SamBuilderError } from "../errors.ts";

/** SAM's pixel statistics (RGB, 0-255). */
export const PIXEL_MEAN = [123.675, 116.28, 103.53] as const;
export const PIXEL_STD = [58.395, 57.12, 57.375] as const;

/** The resized size of an h x w image whose longest side becomes `size`: `floor(side * scale + 0.5)`. */
export function resizedSize(h: number, w: number, size: number): [number, number] {
  const scale = size / Math.max(h, w);
  return [Math.floor(h * scale + 0.5), Math.floor(w * scale + 0.5)];
}

/**
 * What the `raw-hwc` encoder does inside its graph, in TypeScript: HWC RGB (0-255) -> bilinear resize
 * (half-pixel centres, no antialiasing, no rounding to uint8) of the longest side to `size` ->
 * normalise -> zero-pad bottom/right -> CHW `[3, size, size]`.
 */
export function preprocessHwc(
  rgb: ArrayLike<number>,
  h: number,
  w: number,
  size: number,
): Float32Array<ArrayBuffer> {
  if (rgb.length !== h * w * 3)
    throw new SamBuilderError(`image data has ${rgb.length} values, expected ${h}x${w}x3`);
  const [nh, nw] = resizedSize(h, w, size);
  const out = new Float32Array(3 * size * size);
  const axis = (n: number, inN: number) => {
    const i0 = new Int32Array(n);
    const i1 = new Int32Array(n);
    const t = new Float32Array(n);
    for (let o = 0; o < n; o++) {
      const src = Math.max(0, ((o + 0.5) * inN) / n - 0.5);
      const lo = Math.min(Math.floor(src), inN - 1);
      i0[o] = lo;
      i1[o] = Math.min(lo + 1, inN - 1);
      t[o] = src - lo;
    }
    return { i0, i1, t };
  };
  const ys = axis(nh, h);
  const xs = axis(nw, w);
  for (let y = 0; y < nh; y++) {
    for (let x = 0; x < nw; x++) {
      for (let ch = 0; ch < 3; ch++) {
        const at = (yy: number, xx: number) => rgb[(yy * w + xx) * 3 + ch]!;
        const ty = ys.t[y]!;
        const tx = xs.t[x]!;
        const top = at(ys.i0[y]!, xs.i0[x]!) * (1 - tx) + at(ys.i0[y]!, xs.i1[x]!) * tx;
        const bottom = at(ys.i1[y]!, xs.i0[x]!) * (1 - tx) + at(ys.i1[y]!, xs.i1[x]!) * tx;
        const v = top * (1 - ty) + bottom * ty;
        out[(ch * size + y) * size + x] = (v - PIXEL_MEAN[ch]!) / PIXEL_STD[ch]!;
      }
    }
  }
  return out;
}
