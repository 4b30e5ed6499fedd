import { tf } from "./backend.ts";

/*
 * Building blocks written so that every gradient tfjs-wasm needs exists and is right: convolutions
 * become reshape/transpose + matMul (wasm has no filter gradient), gathers become one-hot matMuls
 * (no gather gradient on wasm), half-pixel bilinear resizes become interpolation-matrix matMuls
 * (tfjs's resizeBilinear gradient is wrong with halfPixelCenters).
 */

type T = tf.Tensor;

/** PyTorch Linear over the last axis: `x @ W^T + b`, W in [out, in] layout. */
export function linear(x: T, w: T, b: T | null): T {
  const inDim = w.shape[1]!;
  const outDim = w.shape[0]!;
  const lead = x.shape.slice(0, -1);
  const y = tf.matMul(tf.reshape(x, [-1, inDim]), w, false, true);
  const out = tf.reshape(b ? tf.add(y, b) : y, [...lead, outDim]);
  return out;
}

/** LayerNorm over the last axis (biased variance, as PyTorch). */
export function layerNorm(x: T, w: T, b: T, eps: number): T {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), w), b);
}

/** SAM's LayerNorm2d over the channel axis of NCHW. */
export function layerNorm2d(x: T, w: T, b: T, eps = 1e-6): T {
  const { mean, variance } = tf.moments(x, 1, true);
  const c = w.shape[0]!;
  const n = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(n, tf.reshape(w, [1, c, 1, 1])), tf.reshape(b, [1, c, 1, 1]));
}

/** Exact (erf) GELU, as `nn.GELU()`. */
export function gelu(x: T): T {
  return tf.mul(tf.mul(x, tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)), 0.5);
}

/**
 * Conv2d with kernel == stride (no overlap, no padding) on NCHW as a matMul: patches
 * [B*oh*ow, Cin*k*k] (channel-major, then ky, kx: PyTorch's weight order) times W^T.
 */
export function patchConv(x: T, w: T, b: T | null, k: number): T {
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const oh = H / k;
  const ow = W / k;
  if (!Number.isInteger(oh) || !Number.isInteger(ow))
    throw new Error(`patchConv: ${H}x${W} input is not a multiple of the ${k}x${k} kernel`);
  const out = w.shape[0]!;
  const patches = tf.reshape(tf.transpose(tf.reshape(x, [B, C, oh, k, ow, k]), [0, 2, 4, 1, 3, 5]), [
    B * oh * ow,
    C * k * k,
  ]);
  let y = tf.matMul(patches, tf.reshape(w, [out, C * k * k]), false, true);
  if (b) y = tf.add(y, b);
  return tf.transpose(tf.reshape(y, [B, oh, ow, out]), [0, 3, 1, 2]);
}

/** Same as `patchConv` but NHWC in and out (the ViT patch embedding keeps tokens channel-last). */
export function patchConvToNhwc(x: T, w: T, b: T | null, k: number): T {
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const oh = H / k;
  const ow = W / k;
  const out = w.shape[0]!;
  const patches = tf.reshape(tf.transpose(tf.reshape(x, [B, C, oh, k, ow, k]), [0, 2, 4, 1, 3, 5]), [
    B * oh * ow,
    C * k * k,
  ]);
  let y = tf.matMul(patches, tf.reshape(w, [out, C * k * k]), false, true);
  if (b) y = tf.add(y, b);
  return tf.reshape(y, [B, oh, ow, out]);
}

/** 1x1 Conv2d on NHWC (weight [out, in, 1, 1]). */
export function conv1x1Nhwc(x: T, w: T, b: T | null): T {
  return linear(x, tf.reshape(w, [w.shape[0]!, w.shape[1]!]), b);
}

/**
 * 3x3 Conv2d, stride 1, zero padding 1 on NHWC via im2col: the 9 shifted copies are concatenated on
 * the channel axis in (ky, kx, c) order and multiplied by the weight rearranged to match.
 */
export function conv3x3Nhwc(x: T, w: T, b: T | null): T {
  const [B, H, W, C] = x.shape as [number, number, number, number];
  const out = w.shape[0]!;
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const cols: T[] = [];
  for (let ky = 0; ky < 3; ky++)
    for (let kx = 0; kx < 3; kx++) cols.push(tf.slice(padded, [0, ky, kx, 0], [B, H, W, C]));
  const im = tf.reshape(tf.concat(cols, 3), [B * H * W, 9 * C]);
  const wm = tf.reshape(tf.transpose(w, [0, 2, 3, 1]), [out, 9 * C]);
  let y = tf.matMul(im, wm, false, true);
  if (b) y = tf.add(y, b);
  return tf.reshape(y, [B, H, W, out]);
}

/** ConvTranspose2d with kernel 2, stride 2 on NCHW (weight [in, out, 2, 2]) as a matMul. */
export function convTranspose2x2(x: T, w: T, b: T): T {
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const out = w.shape[1]!;
  const rows = tf.reshape(tf.transpose(x, [0, 2, 3, 1]), [B * H * W, C]);
  const y = tf.reshape(tf.matMul(rows, tf.reshape(w, [C, out * 4])), [B, H, W, out, 2, 2]);
  const img = tf.reshape(tf.transpose(y, [0, 3, 1, 4, 2, 5]), [B, out, 2 * H, 2 * W]);
  return tf.add(img, tf.reshape(b, [1, out, 1, 1]));
}

/** Rows `idx` of `table` as a one-hot matMul (differentiable w.r.t. the table on wasm). */
export function gatherRows(table: T, idx: readonly number[]): T {
  const rows = table.shape[0]!;
  const oh = new Float32Array(idx.length * rows);
  idx.forEach((r, i) => {
    if (!(r >= 0 && r < rows)) throw new Error(`gatherRows: index ${r} outside ${rows} rows`);
    oh[i * rows + r] = 1;
  });
  return tf.matMul(tf.tensor2d(oh, [idx.length, rows]), table);
}

/**
 * The [out, in] matrix of 1-D linear interpolation with half-pixel centres (PyTorch
 * `align_corners=False`, ONNX Resize `half_pixel`): source = (o + 0.5) * in/out - 0.5, clamped at 0,
 * neighbours clamped at the last index.
 */
export function halfPixelMatrix(outN: number, inN: number): Float32Array {
  const m = new Float32Array(outN * inN);
  for (let o = 0; o < outN; o++) {
    const src = Math.max(0, ((o + 0.5) * inN) / outN - 0.5);
    const lo = Math.min(Math.floor(src), inN - 1);
    const hi = Math.min(lo + 1, inN - 1);
    const t = src - lo;
    m[o * inN + lo]! += 1 - t;
    m[o * inN + hi]! += t;
  }
  return m;
}

/** Bilinear half-pixel resize of the last two axes of `x` as `Ry @ x @ Rx^T`. */
export function resizeBilinear(x: T, outH: number, outW: number): T {
  const shape = x.shape;
  const H = shape[shape.length - 2]!;
  const W = shape[shape.length - 1]!;
  const lead = shape.slice(0, -2);
  const n = lead.reduce((a, b) => a * b, 1);
  const ry = tf.tensor2d(halfPixelMatrix(outH, H), [outH, H]);
  const rx = tf.tensor2d(halfPixelMatrix(outW, W), [outW, W]);
  // x [n,H,W] -> along W: [n*H, W] @ rx^T -> [n,H,outW]; along H via a transpose.
  const alongW = tf.matMul(tf.reshape(x, [n * H, W]), rx, false, true);
  const t = tf.reshape(tf.transpose(tf.reshape(alongW, [n, H, outW]), [1, 0, 2]), [H, n * outW]);
  const alongH = tf.matMul(ry, t);
  return tf.reshape(tf.transpose(tf.reshape(alongH, [outH, n, outW]), [1, 0, 2]), [...lead, outH, outW]);
}
