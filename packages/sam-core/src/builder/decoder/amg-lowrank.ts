/**
 * The AMG decoder with the image side kept in low-rank form, as three graphs:
 *
 * - `prepare` (once per image): `image_embeddings [1,C,h,w]` -> the image-only projections every
 *   prompt shares: the first layer's attention projections, the image tokens plus the first
 *   image-to-token output bias, centred per position (`keys0`), and the shared parts `s_*` of every later linear map of the
 *   image tokens (second layer's K/V/Q, final attention's K/V, first output-upscaling ConvTranspose).
 * - `tokens` (per batch): prepared tensors + `point_coords`, `point_labels` -> `iou_predictions`,
 *   `hyper_in`, and the low-rank factors of the image tokens (`scale`, `lowrank`, `mix_up`).
 * - `masks` (per chosen prompt): `s_up` + those factors + `hyper_in` -> `low_res_masks`.
 *
 * Why it is exact (in real arithmetic): an image-to-token attention adds `A M` to the image tokens,
 * with `A = softmax(Q_img K_tok^T)` of shape `[hw, heads*T]` (T tokens per head) and `M` of shape
 * `[heads*T, C]` (each head's token values times its slice of the output projection). The LayerNorm
 * that follows is per position, `LN(y)_i = alpha_i (y_i - mu_i) g + b`, so for any linear map W after
 * it, `LN(Y) W = alpha ⊙ (K W' + A (M W') - mu (g^T W)) + b W` with `W' = diag(g) W` and K the shared
 * image tokens. `K W'` is computed once per image (`prepare`); per prompt only the `[hw, heads*T]` by
 * `[heads*T, n]` product remains. After two layers the form is
 * `X2 W + c = scale ⊙ S + lowrank · mix + E` (see `finalFactors`), `scale = alpha2 alpha1` per position,
 * `lowrank` `[hw, 2 heads T + 4]`, which the graphs keep transposed (`[2 heads T + 4, hw]`, the
 * `lowrank` output; the attention weights likewise as `A^T`), so that the softmax over each head's T
 * tokens and the products with it run along hw. The per-position LayerNorm statistics still need the tokens
 * themselves, so `Y1 = K + A0 M0` and `Y2 = X1 + A1 M1` are formed (one `[hw, heads*T] x [heads*T, C]`
 * product each, instead of the `[hw, C/2] x [C/2, C]` output projection); every projection of them
 * runs on the factors, and the token-to-image attentions take `q K^T` and `P V` on the factors without
 * forming K or V. The first ConvTranspose (kernel = stride = 2) is a per-position linear map to
 * `4 * C/4` values, so it takes the same form; its LayerNorm2d and GELU, and the second ConvTranspose
 * (as a MatMul), run channels last.
 *
 * Outputs match `buildDecoderOnnx(..., { variant: "throughput" })` with `has_mask_input` 0 up to float
 * reassociation (tests compare them). Only the two-layer transformer SAM uses is supported.
 */
import { validateDecoderConfig, type DecoderConfig } from "../config.ts";
import { SamBuilderError } from "../errors.ts";
import { samMetadata } from "../metadata.ts";
import { layerNorm, linear, mlp, ParamStore } from "../nn.ts";
import { GraphBuilder, type Value } from "../onnx/graph.ts";
import { serializeModel } from "../onnx/model.ts";
import * as ops from "../onnx/ops.ts";
import { checkWeights, type WeightMap } from "../weights.ts";
import { denseImagePe } from "./dense-pe.ts";
import { embedPoints, GAUSSIAN, layoutNote, resolveGelu } from "./graph.ts";
import { decoderParamSpecs } from "./params.ts";

export interface AmgLowRankBuildOptions {
  gelu?: "erf" | "tanh";
  opset?: number;
}

export interface AmgLowRankDecoder {
  /** Per image: shared projections of the image tokens. */
  prepare: Uint8Array;
  /** Per batch: IoU predictions, hypernetwork outputs and the low-rank factors of the image tokens. */
  tokens: Uint8Array;
  /** Per chosen prompt: low-res mask logits from the factors. */
  masks: Uint8Array;
}

/** Names of the `prepare` outputs, in the order the `tokens` graph takes them (`s_up` goes to `masks`). */
export const PREPARED_FOR_TOKENS = [
  "keys0",
  "k0",
  "v0",
  "q0",
  "s1_k",
  "s1_v",
  "s1_q",
  "sf_k",
  "sf_v",
] as const;

const MD = "mask_decoder";
const TF = `${MD}.transformer`;
const LN_EPS = 1e-5;

type Ctx = { g: GraphBuilder; p: ParamStore; c: DecoderConfig; o: Required<AmgLowRankBuildOptions> };

function newCtx(c: DecoderConfig, weights: WeightMap, o: Required<AmgLowRankBuildOptions>): Ctx {
  const g = new GraphBuilder(o.opset);
  return { g, p: new ParamStore(g, weights, false, false), c, o };
}

const cross = (c: DecoderConfig) => c.transformerDim / c.attentionDownsampleRate;

/** `[1, d, s, s]` NCHW -> `[1, s*s, d]` tokens. */
function toTokens(x: Ctx, v: Value): Value {
  return ops.transpose(x.g, ops.reshape(x.g, v, [0, x.c.transformerDim, -1]), [0, 2, 1]);
}

function densePe(x: Ctx, weights: WeightMap): Value {
  const { c } = x;
  const s = c.embeddingSize;
  return toTokens(
    x,
    x.g.initFloat(
      "/prompt_encoder/dense_pe",
      [1, c.transformerDim, s, s],
      denseImagePe(c, weights.get(GAUSSIAN)!.data),
    ),
  );
}

/** `diag(v) W`: scales the rows of the [in, out] matrix W by the [in] vector v. */
function rowScale(x: Ctx, v: Value, w: Value): Value {
  return ops.mul(x.g, ops.unsqueeze(x.g, v, [1]), w);
}

/** `v^T W` as a `[1, n]` row, for v `[in]` and W `[in, n]`. */
function rowTimes(x: Ctx, v: Value, w: Value): Value {
  return ops.matMul(x.g, ops.unsqueeze(x.g, v, [0]), w);
}

/** `[B, n, heads*dh]` -> `[B, heads, n, dh]`. */
function splitHeads(x: Ctx, v: Value): Value {
  return ops.transpose(x.g, ops.reshape(x.g, v, [0, 0, x.c.numHeads, -1]), [0, 2, 1, 3]);
}

/** `[B, n, heads*dh]` -> `[B, heads, dh, n]`. */
function splitHeadsT(x: Ctx, v: Value): Value {
  return ops.transpose(x.g, ops.reshape(x.g, v, [0, 0, x.c.numHeads, -1]), [0, 2, 3, 1]);
}

/** `[B, heads, n, dh]` -> `[B, n, heads*dh]`, then the output projection `prefix.out_proj`. */
function mergeHeads(x: Ctx, prefix: string, out: Value, inner: number): Value {
  return linear(
    x.g,
    x.p,
    `${prefix}.out_proj`,
    ops.reshape(x.g, ops.transpose(x.g, out, [0, 2, 1, 3]), [0, 0, inner]),
  );
}

const scaled = (x: Ctx, logits: Value, inner: number) =>
  ops.div(x.g, logits, x.g.constF(Math.sqrt(inner / x.c.numHeads), []));

/** Token self-attention (all projections here). */
function selfAttention(x: Ctx, prefix: string, q: Value, v: Value): Value {
  const { g, p } = x;
  const d = x.c.transformerDim;
  const qh = splitHeads(x, linear(g, p, `${prefix}.q_proj`, q));
  const kT = splitHeadsT(x, linear(g, p, `${prefix}.k_proj`, q));
  const probs = ops.softmax(g, scaled(x, ops.matMul(g, qh, kT), d), -1);
  return mergeHeads(x, prefix, ops.matMul(g, probs, splitHeads(x, linear(g, p, `${prefix}.v_proj`, v))), d);
}

/**
 * Softmax over the T token planes (axis 2) of `[B, heads, T, hw]` logits. Spelled out so that every
 * pass runs along the long hw axis, instead of onnxruntime's Softmax over a last axis of T = 7 (the
 * layout `[B, hw, heads, T]`, which also needed transposes to and from it).
 */
function softmaxOverTokens(x: Ctx, logits: Value): Value {
  const { g } = x;
  const e = ops.exp(g, ops.sub(g, logits, ops.reduceMax(g, logits, [2])));
  return ops.div(g, e, ops.reduceSum(g, e, [2]));
}

/** `[B, hw, 1]` per-position values -> `[B, 1, hw]` (same memory order), to scale `[B, r, hw]` rows. */
function asRow(x: Ctx, v: Value): Value {
  return ops.reshape(x.g, v, [0, 1, -1]);
}

/**
 * Image-to-token attention in factored form: `A^T [B,heads*T,hw]` (attention weights, heads major,
 * transposed) and `M [B,heads*T,C]` (each head's values through its slice of the output projection, no
 * bias), so that the attention output is `A M + out_proj.bias`. `logitsOf(k)` gives the unscaled
 * logits `[B,heads,T,hw]` of the image queries against the token keys `k [B,heads,T,dh]`.
 */
function imageToToken(
  x: Ctx,
  prefix: string,
  kTok: Value,
  vTok: Value,
  logitsOf: (kT: Value) => Value,
): [Value, Value] {
  const { g, c, p } = x;
  const inner = cross(c);
  const k = splitHeads(x, linear(g, p, `${prefix}.k_proj`, kTok));
  // The 1/sqrt(dh) scale goes on the small token keys rather than the [B,heads,T,hw] logits.
  const aT = ops.reshape(g, softmaxOverTokens(x, logitsOf(scaled(x, k, inner))), [0, -1, c.embeddingSize ** 2]);
  // out_proj.weight is [C, inner]; its transpose split by head rows is [heads, dh, C].
  const woutH = ops.reshape(g, p.linearWeightT(`${prefix}.out_proj`), [
    c.numHeads,
    inner / c.numHeads,
    c.transformerDim,
  ]);
  const m = ops.reshape(g, ops.matMul(g, splitHeads(x, linear(g, p, `${prefix}.v_proj`, vTok)), woutH), [
    0,
    -1,
    c.transformerDim,
  ]);
  return [aT, m];
}

/**
 * LayerNorm over channels of `y [B,hw,C]` with its per-position mean and 1/std (`[B,hw,1]`). At opset
 * 17+ one LayerNormalization node gives all three (the same kernel, so the same statistics, as the
 * throughput decoder's LayerNorm); below, they are spelled out.
 */
function normWithStats(
  x: Ctx,
  y: Value,
  gain: Value,
  bias: Value,
): { normed: Value; mu: Value; alpha: Value } {
  const { g } = x;
  if (g.opset >= 17) {
    const [normed, mu, alpha] = g.node(
      "LayerNormalization",
      [y, gain, bias],
      { axis: -1, epsilon: { f: LN_EPS } },
      { outputs: 3 },
    );
    return { normed: normed!, mu: mu!, alpha: alpha! };
  }
  const mu = ops.reduceMean(g, y, [-1]);
  const centred = ops.sub(g, y, mu);
  const variance = ops.reduceMean(g, ops.mul(g, centred, centred), [-1]);
  const alpha = ops.div(g, g.constF(1, []), ops.sqrt(g, ops.add(g, variance, g.constF(LN_EPS, []))));
  return { normed: ops.add(g, ops.mul(g, ops.mul(g, centred, alpha), gain), bias), mu, alpha };
}

/** `[B, heads, T, r]` <-> `[B, heads*T, r]` (r dynamic), so that per-head products run as one GEMM per prompt. */
function flatHeads(x: Ctx, v: Value): Value {
  const { g } = x;
  const shape = ops.shape(g, v);
  return ops.reshapeDyn(
    g,
    v,
    ops.concat(
      g,
      [ops.slice(g, shape, [0], [1], [0]), g.constI64([-1]), ops.slice(g, shape, [3], [4], [0])],
      0,
    ),
  );
}

function unflatHeads(x: Ctx, v: Value): Value {
  const { g } = x;
  const shape = ops.shape(g, v);
  const b = ops.slice(g, shape, [0], [1], [0]);
  return ops.reshapeDyn(
    g,
    v,
    ops.concat(g, [b, g.constI64([x.c.numHeads, -1]), ops.slice(g, shape, [2], [3], [0])], 0),
  );
}

/** `[k, n]` constant rows repeated over the batch of `like` (`[B, ...]`): `[B, k, n]`. */
function batchRows(x: Ctx, rows: Value, like: Value): Value {
  const { g } = x;
  const b = ops.slice(g, ops.shape(g, like), [0], [1], [0]);
  const kn = ops.slice(g, ops.shape(g, rows), [0], [2], [0]);
  return ops.expand(g, ops.unsqueeze(g, rows, [0]), ops.concat(g, [b, kn], 0));
}

/**
 * Image tokens after a LayerNorm in factored form: for a linear map W `[C, n]`,
 * `X W = scale ⊙ (K diag(G) W) + lowrank · mix(W) + bias(W)`, where `K diag(G) W` is the shared part
 * computed by `prepare` (G the product of the LayerNorm gains so far).
 */
interface Factored {
  scale: Value; // [B, hw, 1]
  /** The low-rank factor transposed, `[B, r, hw]`, like the attention weights it is made of. */
  lowrankT: Value;
  mix(w: Value): Value; // [B, r, n]
  /** `[1, n]`; absent when lowrank ends with a ones column and mix(W) with the bias row. */
  bias?(w: Value): Value;
}

const W = (x: Ctx, prefix: string) => x.p.linearWeightT(prefix);
const norm = (i: number) => `${TF}.layers.${i}.norm4`;
const gamma = (x: Ctx, name: string) => x.p.get(`${name}.weight`);
const beta = (x: Ctx, name: string) => x.p.get(`${name}.bias`);

/** Token-to-image attention whose image keys/values are factored (neither is formed per prompt). */
function tokenToImage(
  x: Ctx,
  prefix: string,
  qTok: Value,
  f: Factored,
  sKT: Value,
  sV: Value,
  pe: Value,
): Value {
  const { g, c, p } = x;
  const inner = cross(c);
  const h = c.numHeads;
  const dh = inner / h;
  const hw = c.embeddingSize * c.embeddingSize;
  const wk = W(x, `${prefix}.k_proj`);
  const wv = W(x, `${prefix}.v_proj`);
  // Per-position constant of the keys (positional encoding, biases), heads-transposed; a constant row for the values.
  const withBias = (w: Value, c: Value) => (f.bias ? ops.add(g, f.bias(w), c) : c);
  const eKT = splitHeadsT(x, ops.add(g, ops.matMul(g, pe, wk), withBias(wk, p.get(`${prefix}.k_proj.bias`))));
  const eV = ops.reshape(g, withBias(wv, p.get(`${prefix}.v_proj.bias`)), [h, 1, dh]);
  const qh = scaled(x, splitHeads(x, linear(g, p, `${prefix}.q_proj`, qTok)), inner);
  const scaleRow = ops.reshape(g, f.scale, [0, 1, 1, hw]);
  // q k^T = (q S^T) ⊙ scale + (q mix^T) lowrank^T + q E^T
  const t1 = ops.mul(g, ops.matMul(g, qh, sKT), scaleRow);
  const qm = flatHeads(x, ops.matMul(g, qh, splitHeadsT(x, f.mix(wk))));
  const t2 = ops.reshape(g, ops.matMul(g, qm, f.lowrankT), [0, h, -1, hw]);
  const probs = ops.softmax(g, ops.add(g, ops.add(g, t1, t2), ops.matMul(g, qh, eKT)), -1);
  // P v = (P ⊙ scale) S + (P lowrank) mix + E (softmax rows sum to 1)
  const o1 = ops.matMul(g, ops.mul(g, probs, scaleRow), sV);
  const pl = unflatHeads(
    x,
    ops.matMul(g, ops.reshape(g, probs, [0, -1, hw]), ops.transpose(g, f.lowrankT, [0, 2, 1])),
  );
  const o2 = ops.matMul(g, pl, splitHeads(x, f.mix(wv)));
  return mergeHeads(x, prefix, ops.add(g, ops.add(g, o1, o2), eV), inner);
}

/** Logits `[B,heads,T,hw]` of factored image queries (`sQT [1,heads,dh,hw]` shared) against token keys. */
function factoredQueryLogits(
  x: Ctx,
  prefix: string,
  f: Factored,
  sQT: Value,
  pe: Value,
): (k: Value) => Value {
  const { g, c, p } = x;
  const hw = c.embeddingSize * c.embeddingSize;
  const wq = W(x, `${prefix}.q_proj`);
  const bq = p.get(`${prefix}.q_proj.bias`);
  const eQT = splitHeadsT(x, ops.add(g, ops.matMul(g, pe, wq), f.bias ? ops.add(g, f.bias(wq), bq) : bq));
  return (k) => {
    const shared = ops.add(
      g,
      ops.mul(g, ops.matMul(g, k, sQT), ops.reshape(g, f.scale, [0, 1, 1, hw])),
      ops.matMul(g, k, eQT),
    );
    // (k_h mix_h^T) [B, heads*T, r] x lowrank^T [B, r, hw]
    const km = flatHeads(x, ops.matMul(g, k, splitHeadsT(x, f.mix(wq))));
    const low = ops.reshape(g, ops.matMul(g, km, f.lowrankT), [0, c.numHeads, -1, hw]);
    return ops.add(g, shared, low);
  };
}

function layer1Prefixes() {
  const l = `${TF}.layers.1`;
  return { t2i: `${l}.cross_attn_token_to_image`, i2t: `${l}.cross_attn_image_to_token` };
}

const FINAL = `${TF}.final_attn_token_to_image`;

/**
 * A kernel-2 stride-2 ConvTranspose weight `[in, out, 2, 2]` as a per-position `[in, 4 * out]` map with
 * columns ordered (dy, dx, out), so that reshaping the result to `[..., 4, out]` keeps channels last.
 */
function convT2x2Weight(x: Ctx, name: string, inDim: number): Value {
  return ops.reshape(x.g, ops.transpose(x.g, x.p.get(name), [0, 2, 3, 1]), [inDim, -1]);
}

function convT2x2Bias(x: Ctx, name: string, outDim: number): Value {
  const { g } = x;
  return ops.reshape(g, ops.expand(g, ops.unsqueeze(g, x.p.get(name), [0]), g.constI64([4, outDim])), [-1]);
}

const UP = `${MD}.output_upscaling`;
const upWeight = (x: Ctx) => convT2x2Weight(x, `${UP}.0.weight`, x.c.transformerDim);

function prepareGraph(c: DecoderConfig, weights: WeightMap, o: Required<AmgLowRankBuildOptions>): Uint8Array {
  const x = newCtx(c, weights, o);
  const { g, p } = x;
  const d = c.transformerDim;
  const s = c.embeddingSize;
  const image = g.input("image_embeddings", "float32", [1, d, s, s]);
  const noMask = ops.reshape(g, p.get("prompt_encoder.no_mask_embed.weight"), [1, d, 1, 1]);
  const keys = toTokens(x, ops.add(g, image, noMask));
  const kk = ops.add(g, keys, densePe(x, weights));
  const l0 = `${TF}.layers.0`;
  // Centred per position: LayerNorm is shift-invariant, so the first LayerNorm gives the same output
  // and its mean becomes the mean of the update alone. The factored forms then subtract that small
  // mean (times g^T W) from `K W'` instead of the image's own mean, which would cancel most of it.
  const withBias = ops.add(g, keys, p.get(`${l0}.cross_attn_image_to_token.out_proj.bias`));
  const keys0 = ops.sub(g, withBias, ops.reduceMean(g, withBias, [-1]));
  const g1 = gamma(x, norm(0));
  const g12 = ops.mul(g, g1, gamma(x, norm(1)));
  const l1 = layer1Prefixes();
  const shared = (gain: Value, prefix: string) => ops.matMul(g, keys0, rowScale(x, gain, W(x, prefix)));
  const h = c.numHeads;
  const dh = cross(c) / h;
  const heads = [1, h, s * s, dh];
  const headsT = [1, h, dh, s * s];
  const out: Array<[string, Value, number[]]> = [
    ["keys0", keys0, [1, s * s, d]],
    ["k0", splitHeadsT(x, linear(g, p, `${l0}.cross_attn_token_to_image.k_proj`, kk)), headsT],
    ["v0", splitHeads(x, linear(g, p, `${l0}.cross_attn_token_to_image.v_proj`, keys)), heads],
    ["q0", splitHeadsT(x, linear(g, p, `${l0}.cross_attn_image_to_token.q_proj`, kk)), headsT],
    ["s1_k", splitHeadsT(x, shared(g1, `${l1.t2i}.k_proj`)), headsT],
    ["s1_v", splitHeads(x, shared(g1, `${l1.t2i}.v_proj`)), heads],
    ["s1_q", splitHeadsT(x, shared(g1, `${l1.i2t}.q_proj`)), headsT],
    ["sf_k", splitHeadsT(x, shared(g12, `${FINAL}.k_proj`)), headsT],
    ["sf_v", splitHeads(x, shared(g12, `${FINAL}.v_proj`)), heads],
    ["s_up", ops.matMul(g, keys0, rowScale(x, g12, upWeight(x))), [1, s * s, d]],
  ];
  for (const [name, v, dims] of out) g.output(v, name, "float32", dims);
  return serialize(g, c, o, "decoder-amg-prepare", "amg-lowrank-prepare");
}

function tokensGraph(c: DecoderConfig, weights: WeightMap, o: Required<AmgLowRankBuildOptions>): Uint8Array {
  if (c.transformerDepth !== 2)
    throw new SamBuilderError(
      `the low-rank AMG decoder needs a 2-layer transformer, got ${c.transformerDepth}`,
    );
  const x = newCtx(c, weights, o);
  const { g, p } = x;
  const d = c.transformerDim;
  const s = c.embeddingSize;
  const hw = s * s;
  const k = c.numMultimaskOutputs + 1;
  const inner = cross(c);
  const dh = inner / c.numHeads;
  const heads = [1, c.numHeads, hw, dh];
  const headsT = [1, c.numHeads, dh, hw];
  const dims: Record<(typeof PREPARED_FOR_TOKENS)[number], number[]> = {
    keys0: [1, hw, d],
    k0: headsT,
    v0: heads,
    q0: headsT,
    s1_k: headsT,
    s1_v: heads,
    s1_q: headsT,
    sf_k: headsT,
    sf_v: heads,
  };
  const prepared = Object.fromEntries(
    PREPARED_FOR_TOKENS.map((name) => [name, g.input(name, "float32", dims[name])]),
  ) as Record<(typeof PREPARED_FOR_TOKENS)[number], Value>;
  const coords = g.input("point_coords", "float32", ["batch", "num_points", 2]);
  const labels = g.input("point_labels", "float32", ["batch", "num_points"]);
  const pe = densePe(x, weights);
  const sparse = embedPoints(g, p, c, coords, labels);

  const outTokens = ops.unsqueeze(
    g,
    ops.concat(g, [p.get(`${MD}.iou_token.weight`), p.get(`${MD}.mask_tokens.weight`)], 0),
    [0],
  );
  const batch = ops.slice(g, ops.shape(g, sparse), [0], [1], [0]);
  const tokens = ops.concat(
    g,
    [ops.expand(g, outTokens, ops.concat(g, [batch, g.constI64([1, 1])], 0)), sparse],
    1,
  );
  const queryPe = tokens;
  const l0 = `${TF}.layers.0`;
  const l1 = `${TF}.layers.1`;
  const tokenMlp = (l: string, q: Value) => {
    let r = layerNorm(g, p, `${l}.norm2`, q, LN_EPS);
    r = ops.add(g, r, linear(g, p, `${l}.mlp.lin2`, ops.relu(g, linear(g, p, `${l}.mlp.lin1`, r))));
    return layerNorm(g, p, `${l}.norm3`, r, LN_EPS);
  };

  // Layer 0: the image side is shared (prepare); the image-to-token update is kept as A0 M0.
  let queries = layerNorm(g, p, `${l0}.norm1`, selfAttention(x, `${l0}.self_attn`, tokens, tokens), LN_EPS);
  {
    const pre = `${l0}.cross_attn_token_to_image`;
    const qh = splitHeads(x, linear(g, p, `${pre}.q_proj`, ops.add(g, queries, queryPe)));
    const probs = ops.softmax(g, scaled(x, ops.matMul(g, qh, prepared.k0), inner), -1);
    queries = ops.add(g, queries, mergeHeads(x, pre, ops.matMul(g, probs, prepared.v0), inner));
  }
  queries = tokenMlp(l0, queries);
  const [a0T, m0] = imageToToken(
    x,
    `${l0}.cross_attn_image_to_token`,
    ops.add(g, queries, queryPe),
    queries,
    (k) => ops.matMul(g, k, prepared.q0),
  );
  const g1 = gamma(x, norm(0));
  const b1 = beta(x, norm(0));
  const bo1 = p.get(`${l1}.cross_attn_image_to_token.out_proj.bias`);
  // X1 itself (plus the next output bias) is formed only for the second LayerNorm's statistics.
  const a0m0 = ops.matMul(g, ops.transpose(g, a0T, [0, 2, 1]), m0);
  const y1 = normWithStats(x, ops.add(g, prepared.keys0, a0m0), g1, ops.add(g, b1, bo1));

  // Layer 1: X1 W = alpha1 ⊙ S1 + [alpha1 A0 | -alpha1 mu1] [M0 diag(g1) W ; g1^T W] + b1 W.
  const f1: Factored = {
    scale: y1.alpha,
    lowrankT: ops.concat(
      g,
      [ops.mul(g, asRow(x, y1.alpha), a0T), asRow(x, ops.mul(g, ops.mul(g, y1.alpha, y1.mu), g.constF(-1, [])))],
      1,
    ),
    mix: (w) =>
      ops.concat(g, [ops.matMul(g, m0, rowScale(x, g1, w)), batchRows(x, rowTimes(x, g1, w), m0)], 1),
    bias: (w) => rowTimes(x, b1, w),
  };
  const lp = layer1Prefixes();
  queries = ops.add(g, queries, selfAttention(x, `${l1}.self_attn`, ops.add(g, queries, queryPe), queries));
  queries = layerNorm(g, p, `${l1}.norm1`, queries, LN_EPS);
  queries = ops.add(
    g,
    queries,
    tokenToImage(x, lp.t2i, ops.add(g, queries, queryPe), f1, prepared.s1_k, prepared.s1_v, pe),
  );
  queries = tokenMlp(l1, queries);
  const [a1T, m1] = imageToToken(
    x,
    lp.i2t,
    ops.add(g, queries, queryPe),
    queries,
    factoredQueryLogits(x, lp.i2t, f1, prepared.s1_q, pe),
  );
  const y2 = normWithStats(
    x,
    ops.add(g, y1.normed, ops.matMul(g, ops.transpose(g, a1T, [0, 2, 1]), m1)),
    gamma(x, norm(1)),
    beta(x, norm(1)),
  );

  const f2 = finalFactors(x, a0T, m0, y1, a1T, m1, y2);
  queries = ops.add(
    g,
    queries,
    tokenToImage(x, FINAL, ops.add(g, queries, queryPe), f2, prepared.sf_k, prepared.sf_v, pe),
  );
  const hs = layerNorm(g, p, `${TF}.norm_final_attn`, queries, LN_EPS);

  const hyper = ops.concat(
    g,
    Array.from({ length: k }, (_, i) =>
      ops.unsqueeze(
        g,
        mlp(g, p, `${MD}.output_hypernetworks_mlps.${i}`, 3, ops.gatherConst(g, hs, 1 + i, 1)),
        [1],
      ),
    ),
    1,
  );
  const iou = mlp(g, p, `${MD}.iou_prediction_head`, c.iouHeadDepth, ops.gatherConst(g, hs, 0, 1));
  g.output(iou, "iou_predictions", "float32", ["batch", k]);
  g.output(hyper, "hyper_in", "float32", ["batch", k, d / 8]);
  g.output(f2.scale, "scale", "float32", ["batch", hw, 1]);
  g.output(f2.lowrankT, "lowrank", "float32", ["batch", "rank", hw]);
  // The first ConvTranspose's own bias joins the bias row, so the masks graph adds no constant.
  g.output(f2.mix(upWeight(x), convT2x2Bias(x, `${UP}.0.bias`, d / 4)), "mix_up", "float32", [
    "batch",
    "rank",
    d,
  ]);
  return serialize(g, c, o, "decoder-amg-lowrank-tokens", "amg-lowrank-tokens");
}

type Stats = { mu: Value; alpha: Value };

/**
 * With `Y1 = K + A0 M0`, `X1 = alpha1 (Y1 - mu1) g1 + b1`, `Y2 = X1 + A1 M1 + bo1` and
 * `X2 = alpha2 (Y2 - mu2) g2 + b2`, a linear map W [C, n] gives
 * `X2 W = scale ⊙ (K diag(g1 g2) W) + lowrank · mix(W)` where `scale = alpha2 alpha1`,
 * `lowrank = [scale A0 | alpha2 A1 | -scale mu1 | alpha2 | -alpha2 mu2 | 1]` and
 * `mix(W) = [M0 diag(g1 g2) W ; M1 diag(g2) W ; (g1 g2)^T W ; (b1 + bo1)^T diag(g2) W ; g2^T W ; b2 W]`
 * (`mix(W, c)` adds a map's own bias c to the last row).
 */
function finalFactors(
  x: Ctx,
  a0T: Value,
  m0: Value,
  y1: Stats,
  a1T: Value,
  m1: Value,
  y2: Stats,
): Factored & { mix(w: Value, c?: Value): Value } {
  const { g, p } = x;
  const g1 = gamma(x, norm(0));
  const g2 = gamma(x, norm(1));
  const g12 = ops.mul(g, g1, g2);
  const b1bo1 = ops.add(g, beta(x, norm(0)), p.get(`${TF}.layers.1.cross_attn_image_to_token.out_proj.bias`));
  const scale = ops.mul(g, y2.alpha, y1.alpha);
  const neg = (v: Value) => ops.mul(g, v, g.constF(-1, []));
  const [scaleT, alpha2T] = [asRow(x, scale), asRow(x, y2.alpha)];
  // Named as the tokens graph's output: renaming it with an Identity cost a copy of the whole factor.
  const [lowrankT] = g.node(
    "Concat",
    [
      ops.mul(g, scaleT, a0T),
      ops.mul(g, alpha2T, a1T),
      neg(ops.mul(g, scaleT, asRow(x, y1.mu))),
      alpha2T,
      neg(ops.mul(g, alpha2T, asRow(x, y2.mu))),
      ops.expand(g, g.constF(1, [1, 1, 1]), ops.shape(g, alpha2T)),
    ],
    { axis: 1 },
    { outputNames: ["lowrank"] },
  );
  const mix = (w: Value, c?: Value) => {
    const w2 = rowScale(x, g2, w);
    const b2w = rowTimes(x, beta(x, norm(1)), w);
    const rows = ops.concat(
      g,
      [rowTimes(x, g12, w), rowTimes(x, b1bo1, w2), rowTimes(x, g2, w), c ? ops.add(g, b2w, c) : b2w],
      0,
    );
    return ops.concat(
      g,
      [ops.matMul(g, m0, rowScale(x, g12, w)), ops.matMul(g, m1, w2), batchRows(x, rows, m0)],
      1,
    );
  };
  return { scale, lowrankT: lowrankT!, mix };
}

function masksGraph(c: DecoderConfig, weights: WeightMap, o: Required<AmgLowRankBuildOptions>): Uint8Array {
  const x = newCtx(c, weights, o);
  const { g, p } = x;
  const d = c.transformerDim;
  const s = c.embeddingSize;
  const k = c.numMultimaskOutputs + 1;
  const sUp = g.input("s_up", "float32", [1, s * s, d]);
  const scale = g.input("scale", "float32", ["batch", s * s, 1]);
  const lowrankT = g.input("lowrank", "float32", ["batch", "rank", s * s]);
  const mix = g.input("mix_up", "float32", ["batch", "rank", d]);
  const hyper = g.input("hyper_in", "float32", ["batch", k, d / 8]);
  // Channels last throughout: rows are positions (y, x, dy1, dx1[, dy2, dx2]), so that LayerNorm2d is a
  // LayerNormalization over the last axis and the second ConvTranspose a MatMul; only the K final
  // planes are laid out as images.
  const q = d / 4;
  // Biases are in mix's last row (see finalFactors).
  const cols = ops.add(g, ops.mul(g, scale, sUp), ops.matMul(g, ops.transpose(g, lowrankT, [0, 2, 1]), mix));
  let up = ops.reshape(g, cols, [0, -1, q]);
  up = ops.gelu(g, ops.layerNorm(g, up, p.get(`${UP}.1.weight`), p.get(`${UP}.1.bias`), 1e-6), o.gelu);
  // Bias add right before GELU (no reshape between) lets onnxruntime fuse them into one pass.
  up = ops.gelu(
    g,
    ops.add(
      g,
      ops.matMul(g, up, convT2x2Weight(x, `${UP}.3.weight`, q)),
      convT2x2Bias(x, `${UP}.3.bias`, d / 8),
    ),
    o.gelu,
  );
  up = ops.reshape(g, up, [0, -1, d / 8]);
  const planes = ops.matMul(g, up, ops.transpose(g, hyper, [0, 2, 1]));
  // (y, x, dy1, dx1, dy2, dx2, k) -> (k, y, dy1, dy2, x, dx1, dx2)
  const grid = ops.transpose(g, ops.reshape(g, planes, [-1, s, s, 2, 2, 2, 2, k]), [0, 7, 1, 3, 5, 2, 4, 6]);
  const masks = ops.reshape(g, grid, [-1, k, 4 * s, 4 * s]);
  g.output(masks, "low_res_masks", "float32", ["batch", k, 4 * s, 4 * s]);
  return serialize(g, c, o, "decoder-amg-lowrank-masks", "amg-lowrank-masks");
}

/** One of the three graphs' bytes; `variant` in its metadata names which. */
function serialize(
  g: GraphBuilder,
  c: DecoderConfig,
  o: Required<AmgLowRankBuildOptions>,
  graphName: string,
  variant: string,
): Uint8Array {
  return serializeModel(g, {
    graphName,
    metadata: samMetadata("decoder-throughput", c, layoutNote(false, false), { variant, gelu: o.gelu }),
  }).model;
}

/** Builds the three low-rank AMG graphs (see the file comment) from decoder weights. */
export function buildAmgLowRankDecoder(
  c: DecoderConfig,
  weights: WeightMap,
  opts: AmgLowRankBuildOptions = {},
): AmgLowRankDecoder {
  validateDecoderConfig(c);
  checkWeights(decoderParamSpecs(c), weights, "buildAmgLowRankDecoder");
  const o: Required<AmgLowRankBuildOptions> = { gelu: resolveGelu(opts.gelu), opset: opts.opset ?? 17 };
  return {
    prepare: prepareGraph(c, weights, o),
    tokens: tokensGraph(c, weights, o),
    masks: masksGraph(c, weights, o),
  };
}
