import type { EncoderConfig } from "../builder/config.ts";

/**
 * Analytic FLOPs (2 x multiply-accumulates of MatMul/Conv/Einsum) of SAM's ViT image encoder for one
 * image: patch embedding, per block qkv/attention/decomposed relative position/projection (windowed
 * blocks run attention on the zero-padded windows) and MLP, then the neck. Elementwise ops, softmax and
 * layer norms are not counted. Checked against a graph-measured count in the tests.
 */
export function encoderFlops(c: EncoderConfig): number {
  const grid = c.imgSize / c.patchSize;
  const T = grid * grid;
  const e = c.embedDim;
  let f = 2 * T * e * 3 * c.patchSize * c.patchSize; // patch embedding conv
  const attention = (windows: number, s: number) => {
    const n = s * s;
    return windows * (2 * n * e * 3 * e + 2 * 2 * n * n * e + 2 * 2 * n * s * e + 2 * n * e * e);
  };
  for (let i = 0; i < c.depth; i++) {
    if (c.globalAttnIndexes.includes(i) || c.windowSize <= 0) {
      f += attention(1, grid);
    } else {
      const ws = c.windowSize;
      const n = Math.ceil(grid / ws);
      f += attention(n * n, ws);
    }
    f += 2 * 2 * T * e * Math.round(c.mlpRatio * e);
  }
  f += 2 * T * e * c.outChans + 2 * T * c.outChans * c.outChans * 9; // neck: 1x1 then 3x3 conv
  return f;
}
