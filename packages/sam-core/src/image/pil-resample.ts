import type { RgbImage } from "./rgb-image.ts";
import { assertRgbImage } from "./rgb-image.ts";
import { ImageError } from "./errors.ts";

/*
 * Bit-exact re-derivation of Pillow's convolution resampler (`Image.resize` with BILINEAR, no box, no
 * reducing_gap) for 8-bit images, which is what the SAM reference preprocessing runs
 * (torchvision `resize(to_pil_image(img), size)`).
 *
 * The filter is the triangle kernel; when downscaling, its support is stretched by the scale factor (this
 * is the "antialias"). Coefficients are computed in double precision, normalised to sum 1, then turned
 * into 22-bit fixed point, rounding half away from zero. Each pass accumulates in integers starting from
 * half an LSB, and clamps to 0..255 after the shift. The horizontal pass runs first and is rounded to
 * 8 bits before the vertical pass.
 */
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;

interface Coefficients {
  /** Per output index: first input index and number of taps. */
  starts: Int32Array;
  counts: Int32Array;
  /** Fixed-point weights, `ksize` slots per output index. */
  weights: Int32Array;
  ksize: number;
}

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

export function resampleCoefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 1 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const ss = 1 / filterScale;
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C casts truncate toward zero; negative starts are clamped right after, so trunc is faithful.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = triangle((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    starts[xx] = xmin;
    counts[xx] = xmax;
  }
  return { starts, counts, weights, ksize };
}

function clip8(v: number): number {
  if (v >= ONE * 256) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / ONE);
}

/** Resizes an RGB image exactly as Pillow's `Image.resize((width, height), Image.BILINEAR)`. */
export function resizeBilinearPil(image: RgbImage, width: number, height: number): RgbImage {
  assertRgbImage(image);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageError(`invalid resize target ${width}x${height}`);
  }
  if (width === image.width && height === image.height) {
    return { width, height, data: image.data.slice() };
  }
  const needH = width !== image.width;
  const needV = height !== image.height;
  const horiz = resampleCoefficients(image.width, width);
  const vert = resampleCoefficients(image.height, height);

  let src = image;
  let rowOffset = 0;
  if (needH) {
    // Only the source rows the vertical pass will read.
    const first = needV ? vert.starts[0]! : 0;
    const last = needV ? vert.starts[height - 1]! + vert.counts[height - 1]! : image.height;
    src = horizontalPass(image, horiz, width, first, last);
    rowOffset = first;
  }
  if (!needV) return src;
  return verticalPass(src, vert, height, rowOffset);
}

function horizontalPass(img: RgbImage, c: Coefficients, outW: number, y0: number, y1: number): RgbImage {
  const rows = y1 - y0;
  const out = new Uint8Array(outW * rows * 3);
  const inData = img.data;
  const inStride = img.width * 3;
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < rows; y++) {
    const rowBase = (y + y0) * inStride;
    for (let xx = 0; xx < outW; xx++) {
      const start = c.starts[xx]!;
      const n = c.counts[xx]!;
      const kb = xx * c.ksize;
      let s0 = half;
      let s1 = half;
      let s2 = half;
      let p = rowBase + start * 3;
      for (let x = 0; x < n; x++, p += 3) {
        const w = c.weights[kb + x]!;
        s0 += inData[p]! * w;
        s1 += inData[p + 1]! * w;
        s2 += inData[p + 2]! * w;
      }
      const o = (y * outW + xx) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return { width: outW, height: rows, data: out };
}

function verticalPass(img: RgbImage, c: Coefficients, outH: number, rowOffset: number): RgbImage {
  const w3 = img.width * 3;
  const out = new Uint8Array(outH * w3);
  const inData = img.data;
  const half = 1 << (PRECISION_BITS - 1);
  const acc = new Float64Array(w3);
  for (let yy = 0; yy < outH; yy++) {
    const start = c.starts[yy]! - rowOffset;
    const n = c.counts[yy]!;
    const kb = yy * c.ksize;
    acc.fill(half);
    // Row-at-a-time accumulation keeps memory access sequential; integer sums stay exact in doubles.
    for (let y = 0; y < n; y++) {
      const w = c.weights[kb + y]!;
      const base = (start + y) * w3;
      for (let i = 0; i < w3; i++) acc[i] += inData[base + i]! * w;
    }
    const ob = yy * w3;
    for (let i = 0; i < w3; i++) out[ob + i] = clip8(acc[i]!);
  }
  return { width: img.width, height: outH, data: out };
}
