import { denseImagePe, type DecoderConfig } from "@data-engine/sam-core";
import { tf } from "../tf/backend.ts";
import { convTranspose2x2, gelu, layerNorm, layerNorm2d, linear, patchConv } from "../tf/ops.ts";
import { paramGetter, type TfParams } from "./params.ts";

/*
 * SAM's prompt encoder + mask decoder in tfjs, term for term what sam-core's `throughput` ONNX decoder
 * computes (the official SamOnnxModel semantics): B prompts against one image embedding, all 4 mask
 * tokens out. Parameters are addressed by their segment-anything reference names.
 */

export const GAUSSIAN = "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix";

/** One decoder call: B prompts of N points each (pad with label -1), optional previous logits. */
export interface DecoderBatch {
  /** [B*N*2] x,y in the input frame (e.g. 1024 or 256 px). */
  coords: Float32Array;
  /** [B*N]: 1 fg, 0 bg, 2/3 box corners, -1 padding. */
  labels: Float32Array;
  batch: number;
  points: number;
  /** [B,1,4s,4s] previous low-res logits; null means no mask prompt for any row. */
  maskInput: tf.Tensor | null;
  /** [B] 1 where the row's mask prompt is used. */
  hasMask?: Float32Array;
}

export interface DecoderOutput {
  /** [B, K, 4s, 4s] low-res mask logits, K = numMultimaskOutputs + 1 (token 0 first). */
  lowRes: tf.Tensor4D;
  /** [B, K] predicted IoU. */
  iou: tf.Tensor2D;
}

type Get = (name: string) => tf.Tensor;

function attention(
  get: Get,
  prefix: string,
  heads: number,
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
): tf.Tensor {
  const inner = get(`${prefix}.q_proj.weight`).shape[0]!;
  const hd = inner / heads;
  const split = (x: tf.Tensor) => {
    const [B, T] = x.shape as [number, number];
    return tf.transpose(tf.reshape(x, [B, T, heads, hd]), [0, 2, 1, 3]);
  };
  const lin = (name: string, x: tf.Tensor) =>
    linear(x, get(`${prefix}.${name}.weight`), get(`${prefix}.${name}.bias`));
  const qh = split(lin("q_proj", q));
  const kh = split(lin("k_proj", k));
  const vh = split(lin("v_proj", v));
  const logits = tf.div(tf.matMul(qh, kh, false, true), Math.sqrt(hd));
  const out = tf.matMul(tf.softmax(logits, -1), vh);
  const [B, , T] = out.shape as [number, number, number];
  return lin("out_proj", tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [B, T, inner]));
}

function mlp(get: Get, prefix: string, layers: number, x: tf.Tensor): tf.Tensor {
  let h = x;
  for (let i = 0; i < layers; i++) {
    h = linear(h, get(`${prefix}.layers.${i}.weight`), get(`${prefix}.layers.${i}.bias`));
    if (i < layers - 1) h = tf.relu(h);
  }
  return h;
}

/** Constant tensors that depend only on the (frozen) gaussian matrix. */
export interface DecoderConstants {
  densePe: tf.Tensor;
  gaussian: tf.Tensor;
}

export function decoderConstants(c: DecoderConfig, gaussian: Float32Array): DecoderConstants {
  const s = c.embeddingSize;
  return {
    densePe: tf.tensor(denseImagePe(c, gaussian), [1, c.transformerDim, s, s]),
    gaussian: tf.tensor(gaussian, [2, c.transformerDim / 2]),
  };
}

function embedPoints(c: DecoderConfig, get: Get, k: DecoderConstants, b: DecoderBatch): tf.Tensor {
  const pe = "prompt_encoder";
  const { batch: B, points: N } = b;
  const coords = tf.tensor3d(b.coords, [B, N, 2]);
  const unit = tf.div(tf.add(coords, 0.5), c.inputSize);
  const centred = tf.sub(tf.mul(unit, 2), 1);
  const proj = tf.mul(
    tf.reshape(tf.matMul(tf.reshape(centred, [B * N, 2]), k.gaussian), [B, N, -1]),
    2 * Math.PI,
  );
  const fourier = tf.concat([tf.sin(proj), tf.cos(proj)], -1);
  const is = (v: number) =>
    tf.tensor3d(
      b.labels.map((l) => (l === v ? 1 : 0)),
      [B, N, 1],
    );
  const padding = is(-1);
  let emb = tf.add(
    tf.mul(fourier, tf.sub(1, padding)),
    tf.mul(get(`${pe}.not_a_point_embed.weight`), padding),
  );
  for (let i = 0; i < 4; i++) emb = tf.add(emb, tf.mul(get(`${pe}.point_embeddings.${i}.weight`), is(i)));
  return emb;
}

function embedMasks(c: DecoderConfig, get: Get, b: DecoderBatch): tf.Tensor {
  const md = "prompt_encoder.mask_downscaling";
  const noMask = tf.reshape(get("prompt_encoder.no_mask_embed.weight"), [1, c.transformerDim, 1, 1]);
  const s = c.embeddingSize;
  const has = b.hasMask ?? new Float32Array(b.batch).fill(b.maskInput ? 1 : 0);
  if (!b.maskInput || has.every((h) => h === 0)) {
    // has_mask_input = 0 everywhere: the export's blend reduces exactly to no_mask_embed.
    return tf.tile(noMask, [b.batch, 1, s, s]);
  }
  let x = patchConv(b.maskInput, get(`${md}.0.weight`), get(`${md}.0.bias`), 2);
  x = gelu(layerNorm2d(x, get(`${md}.1.weight`), get(`${md}.1.bias`)));
  x = patchConv(x, get(`${md}.3.weight`), get(`${md}.3.bias`), 2);
  x = gelu(layerNorm2d(x, get(`${md}.4.weight`), get(`${md}.4.bias`)));
  x = patchConv(x, get(`${md}.6.weight`), get(`${md}.6.bias`), 1);
  const h = tf.tensor4d(has, [b.batch, 1, 1, 1]);
  return tf.add(tf.mul(h, x), tf.mul(tf.sub(1, h), noMask));
}

function twoWay(
  c: DecoderConfig,
  get: Get,
  src: tf.Tensor,
  pos: tf.Tensor,
  tokens: tf.Tensor,
): [tf.Tensor, tf.Tensor] {
  const d = c.transformerDim;
  const tfp = "mask_decoder.transformer";
  const B = src.shape[0]!;
  let keys = tf.transpose(tf.reshape(src, [B, d, -1]), [0, 2, 1]);
  const keyPe = tf.transpose(tf.reshape(pos, [1, d, -1]), [0, 2, 1]);
  const queryPe = tokens;
  let queries = tokens;
  const h = c.numHeads;
  const ln = (name: string, x: tf.Tensor) => layerNorm(x, get(`${name}.weight`), get(`${name}.bias`), 1e-5);
  for (let i = 0; i < c.transformerDepth; i++) {
    const l = `${tfp}.layers.${i}`;
    if (i === 0) {
      queries = attention(get, `${l}.self_attn`, h, queries, queries, queries);
    } else {
      const qq = tf.add(queries, queryPe);
      queries = tf.add(queries, attention(get, `${l}.self_attn`, h, qq, qq, queries));
    }
    queries = ln(`${l}.norm1`, queries);
    let qq = tf.add(queries, queryPe);
    let kk = tf.add(keys, keyPe);
    queries = tf.add(queries, attention(get, `${l}.cross_attn_token_to_image`, h, qq, kk, keys));
    queries = ln(`${l}.norm2`, queries);
    const hidden = tf.relu(linear(queries, get(`${l}.mlp.lin1.weight`), get(`${l}.mlp.lin1.bias`)));
    queries = tf.add(queries, linear(hidden, get(`${l}.mlp.lin2.weight`), get(`${l}.mlp.lin2.bias`)));
    queries = ln(`${l}.norm3`, queries);
    qq = tf.add(queries, queryPe);
    kk = tf.add(keys, keyPe);
    keys = tf.add(keys, attention(get, `${l}.cross_attn_image_to_token`, h, kk, qq, queries));
    keys = ln(`${l}.norm4`, keys);
  }
  const qq = tf.add(queries, queryPe);
  const kk = tf.add(keys, keyPe);
  queries = tf.add(queries, attention(get, `${tfp}.final_attn_token_to_image`, h, qq, kk, keys));
  queries = ln(`${tfp}.norm_final_attn`, queries);
  return [queries, keys];
}

/**
 * Prompt encoder + mask decoder forward. `embedding` is [1, C, s, s] (one image, all B prompts) or
 * [B, C, s, s] (one embedding per prompt row).
 */
export function decoderForward(
  c: DecoderConfig,
  params: TfParams,
  k: DecoderConstants,
  embedding: tf.Tensor,
  b: DecoderBatch,
): DecoderOutput {
  const get = paramGetter(params);
  const d = c.transformerDim;
  const s = c.embeddingSize;
  const K = c.numMultimaskOutputs + 1;
  const md = "mask_decoder";
  if (b.coords.length !== b.batch * b.points * 2 || b.labels.length !== b.batch * b.points)
    throw new Error(`decoderForward: coords/labels do not match batch ${b.batch} x ${b.points} points`);
  const sparse = embedPoints(c, get, k, b);
  const dense = embedMasks(c, get, b);
  const outTokens = tf.concat([get(`${md}.iou_token.weight`), get(`${md}.mask_tokens.weight`)], 0);
  const tokens = tf.concat([tf.tile(tf.expandDims(outTokens, 0), [b.batch, 1, 1]), sparse], 1);
  const src = tf.add(embedding, dense);
  const [hs, keys] = twoWay(c, get, src, k.densePe, tokens);
  const B = b.batch;
  const img = tf.reshape(tf.transpose(keys, [0, 2, 1]), [B, d, s, s]);
  const u = `${md}.output_upscaling`;
  let up = convTranspose2x2(img, get(`${u}.0.weight`), get(`${u}.0.bias`));
  up = gelu(layerNorm2d(up, get(`${u}.1.weight`), get(`${u}.1.bias`)));
  up = gelu(convTranspose2x2(up, get(`${u}.3.weight`), get(`${u}.3.bias`)));
  const hyper = tf.stack(
    Array.from({ length: K }, (_, i) =>
      mlp(
        get,
        `${md}.output_hypernetworks_mlps.${i}`,
        3,
        tf.reshape(tf.slice(hs, [0, 1 + i, 0], [B, 1, d]), [B, d]),
      ),
    ),
    1,
  );
  const flat = tf.reshape(up, [B, d / 8, 16 * s * s]);
  const lowRes = tf.reshape(tf.matMul(hyper, flat), [B, K, 4 * s, 4 * s]) as tf.Tensor4D;
  const iou = mlp(
    get,
    `${md}.iou_prediction_head`,
    c.iouHeadDepth,
    tf.reshape(tf.slice(hs, [0, 0, 0], [B, 1, d]), [B, d]),
  ) as tf.Tensor2D;
  return { lowRes, iou };
}
