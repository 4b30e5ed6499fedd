import type { DecoderConfig } from "../config.ts";

const f = Math.fround;

/**
 * The prompt encoder's `get_dense_pe()`: random-Fourier features of every embedding cell centre,
 * `[1, C, h, w]`, channels 0..C/2-1 = sin, C/2..C-1 = cos. Computed in float32 steps as PyTorch
 * does; it depends only on the gaussian matrix, so exports carry it as a constant.
 */
export function denseImagePe(c: DecoderConfig, gaussian: Float32Array): Float32Array<ArrayBuffer> {
  const s = c.embeddingSize;
  const half = c.transformerDim / 2;
  const out = new Float32Array(c.transformerDim * s * s);
  const twoPi = f(2 * Math.PI);
  for (let y = 0; y < s; y++) {
    const cy = f(2 * f((y + 0.5) / s) - 1);
    for (let x = 0; x < s; x++) {
      const cx = f(2 * f((x + 0.5) / s) - 1);
      for (let j = 0; j < half; j++) {
        const proj = f(twoPi * f(f(cx * gaussian[j]!) + f(cy * gaussian[half + j]!)));
        out[(j * s + y) * s + x] = Math.sin(proj);
        out[((half + j) * s + y) * s + x] = Math.cos(proj);
      }
    }
  }
  return out;
}
