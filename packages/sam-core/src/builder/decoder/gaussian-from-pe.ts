import type { DecoderConfig } from "../config.ts";

/**
 * Recovers the Fourier gaussian matrix [2, C/2] from a constant dense PE ([1, C, s, s], sin then cos
 * channels) given an approximation of it (e.g. dequantized uint8 weights). Each cell's phase
 * 2pi (cx G0 + cy G1) is read back with atan2 and unwrapped towards the approximation's phase, then
 * G0, G1 are the least-squares fit over all cells. Valid while the approximation's phase error stays
 * below pi at every cell (|dG| < 1/4 per entry, far above a uint8 quantization step).
 */
export function gaussianFromDensePe(c: DecoderConfig, pe: Float32Array, approx: Float32Array): Float32Array<ArrayBuffer> {
  const s = c.embeddingSize;
  const half = c.transformerDim / 2;
  const out = new Float32Array(2 * half);
  const coord = (i: number) => 2 * ((i + 0.5) / s) - 1;
  for (let j = 0; j < half; j++) {
    // Normal equations of phase/2pi = cx * g0 + cy * g1.
    let sxx = 0;
    let sxy = 0;
    let syy = 0;
    let sxp = 0;
    let syp = 0;
    for (let y = 0; y < s; y++) {
      const cy = coord(y);
      for (let x = 0; x < s; x++) {
        const cx = coord(x);
        const predicted = 2 * Math.PI * (cx * approx[j]! + cy * approx[half + j]!);
        const measured = Math.atan2(pe[(j * s + y) * s + x]!, pe[((half + j) * s + y) * s + x]!);
        let d = measured - predicted;
        d -= 2 * Math.PI * Math.round(d / (2 * Math.PI));
        const phase = (predicted + d) / (2 * Math.PI);
        sxx += cx * cx;
        sxy += cx * cy;
        syy += cy * cy;
        sxp += cx * phase;
        syp += cy * phase;
      }
    }
    const det = sxx * syy - sxy * sxy;
    out[j] = (sxp * syy - syp * sxy) / det;
    out[half + j] = (syp * sxx - sxp * sxy) / det;
  }
  return out;
}
