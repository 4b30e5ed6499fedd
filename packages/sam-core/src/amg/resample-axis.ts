/**
 * One axis of PyTorch's `F.interpolate(mode="bilinear", align_corners=False)` (what SAM's mask
 * postprocessing and its ONNX export's Resize use): output index i reads input
 * `src = max(0, (i + 0.5) * in / out - 0.5)`, between `floor(src)` and the next index (clamped at the
 * border), with weights `1 - frac` and `frac`. Computed in float32 like the CPU kernel.
 */
const f32 = Math.fround;

export interface ResampleAxis {
  inSize: number;
  outSize: number;
  /** Per output index: the two input indices and their weights. */
  i0: Int32Array;
  i1: Int32Array;
  w0: Float32Array;
  w1: Float32Array;
}

export function resampleAxis(inSize: number, outSize: number): ResampleAxis {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float32Array(outSize);
  const w1 = new Float32Array(outSize);
  const scale = f32(inSize / outSize);
  for (let i = 0; i < outSize; i++) {
    let src = f32(f32(scale * f32(i + 0.5)) - 0.5);
    if (src < 0) src = 0;
    const lo = Math.min(Math.floor(src), inSize - 1);
    const frac = Math.min(Math.max(f32(src - lo), 0), 1);
    i0[i] = lo;
    i1[i] = lo < inSize - 1 ? lo + 1 : lo;
    w1[i] = frac;
    w0[i] = f32(1 - frac);
  }
  return { inSize, outSize, i0, i1, w0, w1 };
}

/**
 * The output index range [lo, hi) whose values can depend on input indices in [a, b] (inclusive);
 * empty (lo >= hi) when `a > b`. Relies on the index maps being non-decreasing.
 */
export function outputRangeReading(axis: ResampleAxis, a: number, b: number): [number, number] {
  if (a > b) return [0, 0];
  const { i0, i1, outSize } = axis;
  let lo = 0;
  while (lo < outSize && i1[lo]! < a) lo++;
  let hi = outSize;
  while (hi > lo && i0[hi - 1]! > b) hi--;
  return [lo, hi];
}
