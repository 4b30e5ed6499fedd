import { blockAttnSize, type EncoderConfig } from "@data-engine/sam-core";
import { tf } from "../tf/backend.ts";
import { conv1x1Nhwc, conv3x3Nhwc, gatherRows, gelu, layerNorm, linear, patchConvToNhwc } from "../tf/ops.ts";
import { paramGetter, type TfParams } from "./params.ts";

/*
 * SAM's ViT image encoder in tfjs (what sam-core's `buildEncoderOnnx` computes for a normalised
 * [1,3,S,S] input), written with the wasm-differentiable ops: patch embedding as a matMul, relative
 * position tables read through one-hot matMuls, neck 1x1 conv as a matMul and 3x3 conv by im2col.
 */

type Get = (name: string) => tf.Tensor;

function relIndex(size: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) idx.push(i - j + size - 1);
  return idx;
}

function attention(c: EncoderConfig, get: Get, prefix: string, x: tf.Tensor, s: number): tf.Tensor {
  const e = c.embedDim;
  const heads = c.numHeads;
  const hd = e / heads;
  const batch = x.shape[0]!;
  const bh = batch * heads;
  const qkv = tf.transpose(
    tf.reshape(linear(x, get(`${prefix}.qkv.weight`), get(`${prefix}.qkv.bias`)), [
      batch,
      s * s,
      3,
      heads,
      hd,
    ]),
    [2, 0, 3, 1, 4],
  );
  const qkv3 = tf.reshape(qkv, [3, bh, s * s, hd]);
  const pick = (i: number) => tf.reshape(tf.slice(qkv3, [i, 0, 0, 0], [1, bh, s * s, hd]), [bh, s * s, hd]);
  const q = pick(0);
  const k = pick(1);
  const v = pick(2);
  let attn = tf.matMul(tf.mul(q, hd ** -0.5), k, false, true);
  const idx = relIndex(s);
  const rh = tf.reshape(gatherRows(get(`${prefix}.rel_pos_h`), idx), [s, s, hd]);
  const rw = tf.reshape(gatherRows(get(`${prefix}.rel_pos_w`), idx), [s, s, hd]);
  const rq = tf.reshape(q, [bh, s, s, hd]);
  // rel_h[b,h,w,k] = sum_c rq[b,h,w,c] rh[h,k,c]: batch over h.
  const relH = tf.transpose(
    tf.reshape(tf.matMul(tf.reshape(tf.transpose(rq, [1, 0, 2, 3]), [s, bh * s, hd]), rh, false, true), [
      s,
      bh,
      s,
      s,
    ]),
    [1, 0, 2, 3],
  );
  // rel_w[b,h,w,k] = sum_c rq[b,h,w,c] rw[w,k,c]: batch over w.
  const relW = tf.transpose(
    tf.reshape(tf.matMul(tf.reshape(tf.transpose(rq, [2, 0, 1, 3]), [s, bh * s, hd]), rw, false, true), [
      s,
      bh,
      s,
      s,
    ]),
    [1, 2, 0, 3],
  );
  attn = tf.add(tf.reshape(attn, [bh, s, s, s, s]), tf.expandDims(relH, 4));
  attn = tf.reshape(tf.add(attn, tf.expandDims(relW, 3)), [bh, s * s, s * s]);
  const out = tf.matMul(tf.softmax(attn, -1), v);
  const merged = tf.reshape(tf.transpose(tf.reshape(out, [batch, heads, s, s, hd]), [0, 2, 3, 1, 4]), [
    batch,
    s,
    s,
    e,
  ]);
  return linear(merged, get(`${prefix}.proj.weight`), get(`${prefix}.proj.bias`));
}

function block(c: EncoderConfig, get: Get, i: number, x: tf.Tensor): tf.Tensor {
  const b = `image_encoder.blocks.${i}`;
  const grid = c.imgSize / c.patchSize;
  const e = c.embedDim;
  const ln = (name: string, t: tf.Tensor) =>
    layerNorm(t, get(`${b}.${name}.weight`), get(`${b}.${name}.bias`), 1e-6);
  let h = ln("norm1", x);
  if (c.globalAttnIndexes.includes(i)) {
    h = attention(c, get, `${b}.attn`, h, grid);
  } else {
    const ws = blockAttnSize(c, i);
    const padded = Math.ceil(grid / ws) * ws;
    const pad = padded - grid;
    const n = padded / ws;
    if (pad > 0)
      h = tf.pad(h, [
        [0, 0],
        [0, pad],
        [0, pad],
        [0, 0],
      ]);
    h = tf.reshape(tf.transpose(tf.reshape(h, [n, ws, n, ws, e]), [0, 2, 1, 3, 4]), [n * n, ws, ws, e]);
    h = attention(c, get, `${b}.attn`, h, ws);
    h = tf.reshape(tf.transpose(tf.reshape(h, [n, n, ws, ws, e]), [0, 2, 1, 3, 4]), [1, padded, padded, e]);
    if (pad > 0) h = tf.slice(h, [0, 0, 0, 0], [1, grid, grid, e]);
  }
  const x1 = tf.add(x, h);
  const hidden = gelu(linear(ln("norm2", x1), get(`${b}.mlp.lin1.weight`), get(`${b}.mlp.lin1.bias`)));
  return tf.add(x1, linear(hidden, get(`${b}.mlp.lin2.weight`), get(`${b}.mlp.lin2.bias`)));
}

/** LayerNorm2d on NHWC (normalise the channel axis). */
function ln2dNhwc(get: Get, name: string, x: tf.Tensor): tf.Tensor {
  return layerNorm(x, get(`${name}.weight`), get(`${name}.bias`), 1e-6);
}

/** `input` [1, 3, S, S] normalised and padded -> image embedding [1, outChans, S/16, S/16]. */
export function encoderForward(c: EncoderConfig, params: TfParams, input: tf.Tensor): tf.Tensor4D {
  const get = paramGetter(params);
  const ie = "image_encoder";
  let x = patchConvToNhwc(
    input,
    get(`${ie}.patch_embed.proj.weight`),
    get(`${ie}.patch_embed.proj.bias`),
    c.patchSize,
  );
  x = tf.add(x, get(`${ie}.pos_embed`));
  for (let i = 0; i < c.depth; i++) x = block(c, get, i, x);
  let y = conv1x1Nhwc(x, get(`${ie}.neck.0.weight`), null);
  y = ln2dNhwc(get, `${ie}.neck.1`, y);
  y = conv3x3Nhwc(y, get(`${ie}.neck.2.weight`), null);
  y = ln2dNhwc(get, `${ie}.neck.3`, y);
  return tf.transpose(y, [0, 3, 1, 2]) as tf.Tensor4D;
}
