// Live masks straight from the decoder's low-resolution logits, resampled onto the work frame.
//
// The decoder's low-res grid (L x L, e.g. 256) covers the padded S x S encoder frame (e.g. 1024), in which
// the image occupies the top-left newW x newH (longest side resized to S). Its full-size output is those
// logits upsampled bilinearly to S x S (half-pixel centres, PyTorch's align_corners=False), cropped to
// newW x newH, and resized bilinearly to the original W x H. Both steps are separable, so each output
// column (and row) is a fixed 4-tap combination of low-res columns (rows): the live mask evaluates
// exactly the decoder's full-size logits, at the original pixel under each frame pixel's centre.
import type { Frame, Size } from "./frame.ts";

export interface LowResGeometry {
  /** Low-res grid size [height, width] (e.g. [256, 256]). */
  lowResSize: readonly [number, number];
  /** Encoder input side S. */
  inputSize: number;
  /** The original image size. */
  original: Size;
}

/** newW x newH: the original resized so its longest side is S, rounded as SAM's preprocessing does. */
export function resizedFrame(original: Size, inputSize: number): Size {
  const scale = inputSize / Math.max(original.width, original.height);
  return { width: Math.trunc(original.width * scale + 0.5), height: Math.trunc(original.height * scale + 0.5) };
}

/** PyTorch bilinear (align_corners=False) source taps of output index `i` when resizing n -> m. */
function linearTaps(i: number, n: number, m: number): [number, number, number] {
  const src = Math.max((i + 0.5) * (n / m) - 0.5, 0);
  const i0 = Math.min(Math.floor(src), n - 1);
  const i1 = Math.min(i0 + 1, n - 1);
  return [i0, i1, src - i0];
}

/**
 * For each of `count` frame positions: the original pixel under its centre, then the two cropped
 * S-frame positions that pixel interpolates, then the two low-res positions each of those interpolates.
 */
function axisKernel(count: number, scale: number, original: number, resized: number, low: number, input: number) {
  const idx = new Int32Array(count * 4);
  const wt = new Float32Array(count * 4);
  for (let k = 0; k < count; k++) {
    const px = Math.min(original - 1, Math.floor((k + 0.5) / scale));
    const [c0, c1, w] = linearTaps(px, resized, original);
    const [a0, a1, wa] = linearTaps(c0, low, input);
    const [b0, b1, wb] = linearTaps(c1, low, input);
    idx.set([a0, a1, b0, b1], 4 * k);
    wt.set([(1 - w) * (1 - wa), (1 - w) * wa, w * (1 - wb), w * wb], 4 * k);
  }
  return { idx, wt };
}

/** Thresholds the decoder's full-size logits (> 0) at each frame pixel into `out` (row-major). */
export function logitsToFrameMask(logits: Float32Array, g: LowResGeometry, frame: Frame, out?: Uint8Array): Uint8Array {
  const [lh, lw] = g.lowResSize;
  if (logits.length !== lh * lw) throw new RangeError(`logits have ${logits.length} values, expected ${lh}x${lw}`);
  const { width: fw, height: fh } = frame;
  const mask = out ?? new Uint8Array(fw * fh);
  const resized = resizedFrame(g.original, g.inputSize);
  const cols = axisKernel(fw, frame.sx, g.original.width, resized.width, lw, g.inputSize);
  const rows = axisKernel(fh, frame.sy, g.original.height, resized.height, lh, g.inputSize);
  // Horizontal pass over every low-res row, then the vertical pass per frame row.
  const tmp = new Float32Array(lh * fw);
  for (let j = 0; j < lh; j++) {
    const r = j * lw;
    const o = j * fw;
    for (let x = 0; x < fw; x++) {
      const k = 4 * x;
      tmp[o + x] =
        logits[r + cols.idx[k]!]! * cols.wt[k]! +
        logits[r + cols.idx[k + 1]!]! * cols.wt[k + 1]! +
        logits[r + cols.idx[k + 2]!]! * cols.wt[k + 2]! +
        logits[r + cols.idx[k + 3]!]! * cols.wt[k + 3]!;
    }
  }
  for (let y = 0; y < fh; y++) {
    const k = 4 * y;
    const r0 = rows.idx[k]! * fw;
    const r1 = rows.idx[k + 1]! * fw;
    const r2 = rows.idx[k + 2]! * fw;
    const r3 = rows.idx[k + 3]! * fw;
    const w0 = rows.wt[k]!;
    const w1 = rows.wt[k + 1]!;
    const w2 = rows.wt[k + 2]!;
    const w3 = rows.wt[k + 3]!;
    const o = y * fw;
    for (let x = 0; x < fw; x++) {
      mask[o + x] = tmp[r0 + x]! * w0 + tmp[r1 + x]! * w1 + tmp[r2 + x]! * w2 + tmp[r3 + x]! * w3 > 0 ? 1 : 0;
    }
  }
  return mask;
}

/**
 * A binary mask (on any frame of the image) as a low-res mask prompt, so SAM can refine a mask it did not
 * produce (an automatic or hand-drawn one): +magnitude inside, -magnitude outside and in the padding.
 */
export function maskToLowResLogits(mask: Uint8Array, frame: Frame, g: LowResGeometry, magnitude = 8): Float32Array {
  const [lh, lw] = g.lowResSize;
  const out = new Float32Array(lh * lw).fill(-magnitude);
  const resized = resizedFrame(g.original, g.inputSize);
  const cellX = g.inputSize / lw;
  const cellY = g.inputSize / lh;
  for (let j = 0; j < lh; j++) {
    const ey = (j + 0.5) * cellY;
    if (ey >= resized.height) break;
    const fy = Math.min(frame.height - 1, Math.floor((ey * g.original.height) / resized.height * frame.sy));
    for (let i = 0; i < lw; i++) {
      const ex = (i + 0.5) * cellX;
      if (ex >= resized.width) break;
      const fx = Math.min(frame.width - 1, Math.floor((ex * g.original.width) / resized.width * frame.sx));
      if (mask[fy * frame.width + fx]) out[j * lw + i] = magnitude;
    }
  }
  return out;
}

/**
 * The live view's cheap path: the low-res logits thresholded as they are, cropped to the cells that cover
 * the image (the rest of the grid is padding). The canvas stretches this small mask over the image with
 * smoothing, so a click costs no full-frame upsampling, painting or transfer; the saved mask is still
 * computed at full resolution by the decoder.
 */
export function lowResImageMask(logits: Float32Array, g: LowResGeometry): { width: number; height: number; mask: Uint8Array } {
  const [lh, lw] = g.lowResSize;
  if (logits.length !== lh * lw) throw new RangeError(`logits have ${logits.length} values, expected ${lh}x${lw}`);
  const resized = resizedFrame(g.original, g.inputSize);
  const width = Math.max(1, Math.min(lw, Math.round((resized.width * lw) / g.inputSize)));
  const height = Math.max(1, Math.min(lh, Math.round((resized.height * lh) / g.inputSize)));
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const r = y * lw;
    const o = y * width;
    for (let x = 0; x < width; x++) mask[o + x] = logits[r + x]! > 0 ? 1 : 0;
  }
  return { width, height, mask };
}
