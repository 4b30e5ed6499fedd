/**
 * The AMG decoder with the image side kept in low-rank form, as three graphs:
 *
 * - `prepare` (once per image): `image_embeddings [1,C,h,w]` -> the image-only projections every
 *   prompt shares: the first layer's attention projections, the shared parts `s_*` of every later
 *   linear map of the image tokens (second layer's K/V/Q, final attention's K/V, first output-upscaling
 *   ConvTranspose), and the image parts of the LayerNorm statistics (`k_rows`, `kw0`, `kgw0`, `kgw1`);
 *   all of them from the image tokens plus the first image-to-token output bias, centred per position.
 * - `tokens` (per batch): prepared tensors + `point_coords`, `point_labels` -> `iou_predictions`,
 *   `hyper_in`, and the low-rank factors of the image tokens (`scale`, `lowrank`, `mix_up`).
 * - `masks` (per chosen prompt): `s_up` + those factors + `hyper_in` -> `low_res_masks`.
 *
 * Why it is exact (in real arithmetic): an image-to-token attention adds `A M` to the image tokens,
 * with `A = softmax(Q_img K_tok^T)` of shape `[hw, heads*T]` (T tokens per head) and `M` of shape
 * `[heads*T, C]` (each head's token values times its slice of the output projection). The LayerNorm
 * that follows is per position, `LN(y)_i = alpha_i (y_i - mu_i) g + b`, so for any linear map W after
 * it, `LN(Y) W = alpha ⊙ (K W' + A (M W') - mu (g^T W)) + b W` with `W' = diag(g) W` and K the shared
 * image tokens. `K W'` is computed once per image (`prepare`); per prompt only the `[hw, r]` by `[r, n]`
 * product remains, with `r = heads*(T-1) + 1` (see `imageToToken`). After two layers the form is
 * `X2 W + c = scale ⊙ S + lowrank · mix + E` (see `finalFactors`), `scale = alpha2 alpha1` per position,
 * `lowrank` `[hw, 2r + 4]`, which the graphs keep transposed (`[2r + 4, hw]`, the
 * `lowrank` output; the attention weights likewise as `A^T`), so that the softmax over each head's T
 * tokens and the products with it run along hw. The per-position LayerNorm statistics come from the
 * factors too (`firstStats`, `secondStats`: Gram matrices of the token updates and prepared per-position
 * sums), so neither `Y1 = K + A0 M0` nor `Y2 = X1 + A1 M1` is formed; every projection of them runs on
 * the factors, and the token-to-image attentions take `q K^T` and `P V` on the factors without forming K
 * or V. The first ConvTranspose (kernel = stride = 2) is a per-position linear map to `4 * C/4` values, so
 * it takes the same form; its LayerNorm2d and GELU, and the second ConvTranspose (as a MatMul), run
 * channels last, split by output row offset (see `masksGraph`).
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
  "k_rows",
  "kw0",
  "kgw0",
  "kgw1",
  "k0",
  "v0",
  "q0",
  "s1_k",
  "s1_v",
  "s1_q",
  "sf_k",
  "sf_v",
] as const;

/** Outputs of the `tokens` graph (the last three are the factors the `masks` graph takes). */
export const TOKENS_OUTPUTS = ["iou_predictions", "hyper_in", "scale", "lowrank", "mix_up"] as const;

type PreparedName = (typeof PREPARED_FOR_TOKENS)[number];
/** The `tokens` graph's inputs from `prepare`. */
type Prepared = Record<PreparedName, Value>;

const MD = "mask_decoder";
const TF = `${MD}.transformer`;
const LN_EPS = 1e-5;
/** A Slice end past any axis (Slice clamps it). */
const TO_END = 2 ** 31 - 1;

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

/**
 * Image-to-token attention in factored form: the attention output is `A M + out_proj.bias`, with `aT` =
 * `A^T [B,r,hw]` and `m` = `M [B,r,C]`, and `rowsOf(P)` gives `M K^T [B,r,hw]` for an image-side `K`
 * prepared as `P = (K W_out)` per head, `[1,heads,dh,hw]` (the LayerNorm statistics' cross terms).
 * `logitsOf(k)` gives the unscaled logits `[B,heads,T,hw]` of the image queries against the token keys
 * `k [B,heads,T,dh]`.
 *
 * Rank `heads*(T-1) + 1` instead of `heads*T`: each head's softmax weights sum to 1 over its T tokens, so
 * `sum_t a_t m_t = m_T + sum_{t<T} a_t (m_t - m_T)`; the last token's rows become one constant row
 * (weight 1 everywhere, values `sum_h m_{h,T}`), which every later product and Gram matrix runs on.
 */
interface ImageToToken {
  aT: Value;
  m: Value;
  rowsOf(preparedT: Value): Value;
}

function imageToToken(
  x: Ctx,
  prefix: string,
  kTok: Value,
  vTok: Value,
  logitsOf: (kT: Value) => Value,
): ImageToToken {
  const { g, c, p } = x;
  const inner = cross(c);
  const hw = c.embeddingSize ** 2;
  const k = splitHeads(x, linear(g, p, `${prefix}.k_proj`, kTok));
  // The 1/sqrt(dh) scale goes on the small token keys rather than the [B,heads,T,hw] logits.
  const probs = softmaxOverTokens(x, logitsOf(scaled(x, k, inner)));
  // Tokens axis 2: all but the last, and the last.
  const upToLast = (t: Value) => ops.slice(g, t, [0], [-1], [2]);
  const fromLast = (t: Value) => ops.slice(g, t, [-1], [TO_END], [2]);
  const flat = (t: Value, n: number) => ops.reshape(g, t, [0, -1, n]);
  const batch = ops.slice(g, ops.shape(g, probs), [0], [1], [0]);
  const ones = ops.expand(g, g.constF(1, [1, 1, 1]), ops.concat(g, [batch, g.constI64([1, hw])], 0));
  const aT = ops.concat(g, [flat(upToLast(probs), hw), ones], 1);
  // out_proj.weight is [C, inner]; its transpose split by head rows is [heads, dh, C].
  const woutH = ops.reshape(g, p.linearWeightT(`${prefix}.out_proj`), [
    c.numHeads,
    inner / c.numHeads,
    c.transformerDim,
  ]);
  const v = splitHeads(x, linear(g, p, `${prefix}.v_proj`, vTok));
  const vLast = fromLast(v); // [B, heads, 1, dh]
  const vDiff = ops.sub(g, upToLast(v), vLast);
  // Rows linear in the per-head values v (M = V W_out per head): the differences, then the heads' sum of the last.
  const rows = (through: Value, n: number) =>
    ops.concat(
      g,
      [flat(ops.matMul(g, vDiff, through), n), ops.reduceSum(g, ops.matMul(g, vLast, through), [1], false)],
      1,
    );
  return {
    aT,
    m: rows(woutH, c.transformerDim),
    rowsOf: (preparedT) => rows(preparedT, hw),
  };
}

/**
 * Per-position LayerNorm statistics of image tokens that are never formed, as rows `[B, 1, hw]`: the
 * mean and `alpha = 1 / sqrt(var + eps)`.
 */
type Stats = { mu: Value; alpha: Value };

/** Rows of the prepared `k_rows` `[1, 6, hw]` (per-position sums over channels of the image part). */
const K_ROW = {
  /** mean of K (keys0, already centred: float residue only); kc = K minus it */
  mean: 0,
  /** ||K - mean||^2 */
  sq: 1,
  /** mean of K ⊙ g1 (g1 the first norm4 gain; K itself, not kc) */
  gMean: 2,
  /** ||Kg||^2 with Kg = K ⊙ g1 - its mean */
  gSq: 3,
  /** g1 · Kg */
  gDotG: 4,
  /** (b1 + bo1) · Kg, b1 the first norm4 bias and bo1 the second image-to-token output bias */
  gDotB: 5,
} as const;

function kRow(x: Ctx, rows: Value, i: number): Value {
  return ops.slice(x.g, rows, [i], [i + 1], [1]);
}

/** `alpha = 1 / sqrt(sumSq / C + eps)` from the centred sum of squares. */
function alphaOf(x: Ctx, sumSq: Value): Value {
  const { g, c } = x;
  const variance = ops.div(g, sumSq, g.constF(c.transformerDim, []));
  return ops.div(g, g.constF(1, []), ops.sqrt(g, ops.add(g, variance, g.constF(LN_EPS, []))));
}

/**
 * The rows of `n [B, r, C]` centred, as their halved Gram matrix `[B, r, r]` (`Nc Nc^T / 2`: the
 * quadratic term of a sum of squares, halved so that the cross term needs no factor 2), and their means
 * `[B, r, 1]`.
 */
function halfGram(x: Ctx, n: Value): { gram: Value; mean: Value } {
  const { g } = x;
  const mean = ops.reduceMean(g, n, [2]);
  const centred = ops.sub(g, n, mean);
  const gram = ops.matMul(g, centred, ops.transpose(g, centred, [0, 2, 1]));
  return { gram: ops.mul(g, gram, g.constF(0.5, [])), mean };
}

/** `sum_j L_j ⊙ inner_j` over the r rows of `[B, r, hw]` tensors: `[B, 1, hw]`. */
function rowDot(x: Ctx, l: Value, inner: Value): Value {
  return ops.reduceSum(x.g, ops.mul(x.g, l, inner), [1]);
}

const twice = (x: Ctx, v: Value) => ops.mul(x.g, v, x.g.constF(2, []));

/**
 * Statistics of `Y1 = K + A0 M0` (the first norm4's input) without forming it. With K centred per
 * position (mean `kbar`, float residue) and `M0c` the rows of M0 centred: `mu1 = kbar + A0 mbar0` and
 * `||Y1 - mu1||^2 = ||K - kbar||^2 + 2 A0 · (K M0^T + (M0c M0c^T / 2) A0^T)`. `K M0^T = V0 (K W0)` per
 * head with `K W0` prepared (`kw0`), so per prompt only `[r, ...]`-sized products run.
 */
function firstStats(x: Ctx, l0: ImageToToken, prepared: Prepared): Stats {
  const { g } = x;
  const { aT: a0T, m: m0 } = l0;
  const { k_rows: kRows, kw0 } = prepared;
  const { gram, mean } = halfGram(x, m0);
  const inner = ops.add(g, ops.matMul(g, gram, a0T), l0.rowsOf(kw0));
  const sumSq = ops.add(g, kRow(x, kRows, K_ROW.sq), twice(x, rowDot(x, a0T, inner)));
  return {
    mu: ops.add(g, kRow(x, kRows, K_ROW.mean), ops.matMul(g, ops.transpose(g, mean, [0, 2, 1]), a0T)),
    alpha: alphaOf(x, sumSq),
  };
}

/**
 * Statistics of `Y2 = X1 + A1 M1 + bo1` (the second norm4's input) without forming it. With
 * `X1 = alpha1 (K + A0 M0 - mu1) ⊙ g1 + b1`: `Y2 / alpha1 = K ⊙ g1 + L N` where
 * `L = [A0 | -mu1 | A1 / alpha1 | 1 / alpha1]` and `N = [M0 diag(g1) ; g1 ; M1 ; b1 + bo1]`. With Kg =
 * K ⊙ g1 centred per position and Nc the rows of N centred: `mu2 = alpha1 (mean(K ⊙ g1) + L mean(N))` and
 * `||Y2 - mu2||^2 = alpha1^2 (||Kg||^2 + 2 L · (N Kg^T + (Nc Nc^T / 2) L^T))`, where the rows of
 * `N Kg^T` are `V0 (Kg diag(g1) W0)` and `V1 (Kg W1)` per head (`kgw0`, `kgw1` prepared) and two
 * prepared per-position dot products; their part of `L · N Kg^T` is summed block by block, so neither
 * `N Kg^T` nor a scaled copy of it is formed.
 */
function secondStats(x: Ctx, s1: Stats, l0: ImageToToken, l1: ImageToToken, prepared: Prepared): Stats {
  const { g } = x;
  const { aT: a0T, m: m0 } = l0;
  const { aT: a1T, m: m1 } = l1;
  const { k_rows: kRows, kgw0, kgw1 } = prepared;
  const g1 = gamma(x, norm(0));
  const bb = firstNormBias(x);
  const row = (v: Value) => batchRows(x, ops.unsqueeze(g, v, [0]), m0);
  const invA = ops.div(g, g.constF(1, []), s1.alpha);
  const negMu = ops.mul(g, s1.mu, g.constF(-1, []));
  const l = ops.concat(g, [a0T, negMu, ops.mul(g, a1T, invA), invA], 1);
  const { gram, mean } = halfGram(x, ops.concat(g, [ops.mul(g, m0, g1), row(g1), m1, row(bb)], 1));
  // L · N Kg^T by blocks: A0 · V0 (Kg diag(g1) W0) - mu1 (g1 · Kg) + (A1 · V1 (Kg W1) + b · Kg) / alpha1.
  const cross = ops.add(
    g,
    ops.sub(g, rowDot(x, a0T, l0.rowsOf(kgw0)), ops.mul(g, s1.mu, kRow(x, kRows, K_ROW.gDotG))),
    ops.mul(g, ops.add(g, rowDot(x, a1T, l1.rowsOf(kgw1)), kRow(x, kRows, K_ROW.gDotB)), invA),
  );
  const inside = ops.add(g, kRow(x, kRows, K_ROW.gSq), twice(x, ops.add(g, cross, rowDot(x, l, ops.matMul(g, gram, l)))));
  const a2 = ops.mul(g, s1.alpha, s1.alpha);
  return {
    mu: ops.mul(g, s1.alpha, ops.add(g, kRow(x, kRows, K_ROW.gMean), ops.matMul(g, ops.transpose(g, mean, [0, 2, 1]), l))),
    alpha: alphaOf(x, ops.mul(g, a2, inside)),
  };
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
  scale: Value; // [B, 1, hw]
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
/** `b1 + bo1`: the first norm4's bias plus the second image-to-token output bias (both follow X1). */
const firstNormBias = (x: Ctx) =>
  ops.add(x.g, beta(x, norm(0)), x.p.get(`${TF}.layers.1.cross_attn_image_to_token.out_proj.bias`));

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
  const l1 = layer1Prefixes();
  // The LayerNorm statistics' image parts (firstStats, secondStats): sums over channels per position,
  // and the image tokens through each image-to-token output projection (heads transposed).
  const kMean = ops.reduceMean(g, keys0, [-1]);
  const kc = ops.sub(g, keys0, kMean);
  // keys0 itself (not kc): X1's image part is alpha1 (keys0 - mu1) ⊙ g1 and mu1 includes keys0's mean.
  const kg = ops.mul(g, keys0, g1);
  const kgMean = ops.reduceMean(g, kg, [-1]);
  const kgc = ops.sub(g, kg, kgMean);
  const sumSq = (t: Value) => ops.reduceSum(g, ops.mul(g, t, t), [-1]);
  const dot = (t: Value, v: Value) => ops.matMul(g, t, ops.unsqueeze(g, v, [1]));
  const bb = firstNormBias(x);
  const kRows = ops.transpose(
    g,
    ops.concat(g, [kMean, sumSq(kc), kgMean, sumSq(kgc), dot(kgc, g1), dot(kgc, bb)], -1),
    [0, 2, 1],
  );
  const throughOut = (prefix: string, t: Value) => splitHeadsT(x, ops.matMul(g, t, p.get(`${prefix}.out_proj.weight`)));
  const g12 = ops.mul(g, g1, gamma(x, norm(1)));
  const shared = (gain: Value, prefix: string) => ops.matMul(g, keys0, rowScale(x, gain, W(x, prefix)));
  const h = c.numHeads;
  const dh = cross(c) / h;
  const heads = [1, h, s * s, dh];
  const headsT = [1, h, dh, s * s];
  const out: Array<[string, Value, number[]]> = [
    ["k_rows", kRows, [1, Object.keys(K_ROW).length, s * s]],
    ["kw0", throughOut(`${l0}.cross_attn_image_to_token`, kc), headsT],
    ["kgw0", throughOut(`${l0}.cross_attn_image_to_token`, ops.mul(g, kgc, g1)), headsT],
    ["kgw1", throughOut(l1.i2t, kgc), headsT],
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
  const dims: Record<PreparedName, number[]> = {
    k_rows: [1, Object.keys(K_ROW).length, hw],
    kw0: headsT,
    kgw0: headsT,
    kgw1: headsT,
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
  ) as Prepared;
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
  const l0i2t = imageToToken(
    x,
    `${l0}.cross_attn_image_to_token`,
    ops.add(g, queries, queryPe),
    queries,
    (k) => ops.matMul(g, k, prepared.q0),
  );
  const g1 = gamma(x, norm(0));
  const b1 = beta(x, norm(0));
  const { aT: a0T, m: m0 } = l0i2t;
  const y1 = firstStats(x, l0i2t, prepared);

  // Layer 1: X1 W = alpha1 ⊙ S1 + [alpha1 A0 | -alpha1 mu1] [M0 diag(g1) W ; g1^T W] + b1 W.
  const f1: Factored = {
    scale: y1.alpha,
    lowrankT: ops.concat(
      g,
      [ops.mul(g, y1.alpha, a0T), ops.mul(g, ops.mul(g, y1.alpha, y1.mu), g.constF(-1, []))],
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
  const l1i2t = imageToToken(
    x,
    lp.i2t,
    ops.add(g, queries, queryPe),
    queries,
    factoredQueryLogits(x, lp.i2t, f1, prepared.s1_q, pe),
  );
  const y2 = secondStats(x, y1, l0i2t, l1i2t, prepared);

  const f2 = finalFactors(x, l0i2t, y1, l1i2t, y2);
  // Only the IoU and mask tokens (the first 1 + k) are read after the final attention, and each token's
  // query is its own row there: the point tokens' rows are left out (2 of 7 for a single point).
  const outputTokens = (v: Value) => ops.slice(g, v, [0], [1 + k], [1]);
  const finalQueries = outputTokens(queries);
  const hs = layerNorm(
    g,
    p,
    `${TF}.norm_final_attn`,
    ops.add(
      g,
      finalQueries,
      tokenToImage(x, FINAL, ops.add(g, finalQueries, outputTokens(queryPe)), f2, prepared.sf_k, prepared.sf_v, pe),
    ),
    LN_EPS,
  );

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
  g.output(ops.reshape(g, f2.scale, [0, hw, 1]), "scale", "float32", ["batch", hw, 1]);
  g.output(f2.lowrankT, "lowrank", "float32", ["batch", "rank", hw]);
  // The first ConvTranspose's own bias joins the bias row, so the masks graph adds no constant.
  g.output(f2.mix(upWeight(x), convT2x2Bias(x, `${UP}.0.bias`, d / 4)), "mix_up", "float32", [
    "batch",
    "rank",
    d,
  ]);
  return serialize(g, c, o, "decoder-amg-lowrank-tokens", "amg-lowrank-tokens");
}

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
  l0: ImageToToken,
  y1: Stats,
  l1: ImageToToken,
  y2: Stats,
): Factored & { mix(w: Value, c?: Value): Value } {
  const { g } = x;
  const { aT: a0T, m: m0 } = l0;
  const { aT: a1T, m: m1 } = l1;
  const g1 = gamma(x, norm(0));
  const g2 = gamma(x, norm(1));
  const g12 = ops.mul(g, g1, g2);
  const b1bo1 = firstNormBias(x);
  const scale = ops.mul(g, y2.alpha, y1.alpha);
  const neg = (v: Value) => ops.mul(g, v, g.constF(-1, []));
  const [scaleT, alpha2T] = [scale, y2.alpha];
  const lowrankT = ops.concat(
    g,
    [
      ops.mul(g, scaleT, a0T),
      ops.mul(g, alpha2T, a1T),
      neg(ops.mul(g, scaleT, y1.mu)),
      alpha2T,
      neg(ops.mul(g, alpha2T, y2.mu)),
      ops.expand(g, g.constF(1, [1, 1, 1]), ops.shape(g, alpha2T)),
    ],
    1,
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
  return { scale, lowrankT, mix };
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
  // Channels last throughout, so that LayerNorm2d is a LayerNormalization over the last axis and the
  // second ConvTranspose a MatMul. Each ConvTranspose (kernel = stride = 2) is split by its output row
  // offset (dy1, then dy2): for one (dy1, dy2) the rows are (y, x, dx1, dx2), i.e. whole rows 4y + 2 dy1 +
  // dy2 of the low-res mask, so the four parts' planes interleave as blocks of whole rows (a Concat)
  // instead of an 8-D transpose of every value.
  const q = d / 4;
  const e = d / 8;
  const cols = (t: Value, dy: number, width: number) => ops.slice(g, t, [dy * width], [(dy + 1) * width], [-1]);
  const w2 = convT2x2Weight(x, `${UP}.3.weight`, q);
  const b2 = convT2x2Bias(x, `${UP}.3.bias`, e);
  const lowT = ops.transpose(g, lowrankT, [0, 2, 1]);
  const hyperT = ops.transpose(g, hyper, [0, 2, 1]);
  const parts: Value[] = [];
  for (let dy1 = 0; dy1 < 2; dy1++) {
    // Biases are in mix's last row (see finalFactors).
    const first = ops.add(g, ops.mul(g, scale, cols(sUp, dy1, 2 * q)), ops.matMul(g, lowT, cols(mix, dy1, 2 * q)));
    // The reshape between the Add and the LayerNormalization keeps onnxruntime from fusing them into a
    // SkipLayerNormalization, which was slower than the two here (groups of 64 channels): `npx tsx
    // bench/amg-graphs.ts --compare FILE --threads 1` (and `--threads 2`) against a build that reshapes
    // before the Add put the masks graph at 7.72 ms CPU per prompt against 10.94 (9.16 against 11.71).
    let up = ops.reshape(g, first, [0, -1, q]);
    up = ops.gelu(g, ops.layerNorm(g, up, p.get(`${UP}.1.weight`), p.get(`${UP}.1.bias`), 1e-6), o.gelu);
    for (let dy2 = 0; dy2 < 2; dy2++) {
      // Bias add right before GELU (no reshape between) lets onnxruntime fuse them into one pass.
      const second = ops.gelu(g, ops.add(g, ops.matMul(g, up, cols(w2, dy2, 2 * e)), cols(b2, dy2, 2 * e)), o.gelu);
      // [B, (y, x, dx1, dx2), k] -> [B, k, y, 1, 4s]: row 4y + 2 dy1 + dy2 of each plane.
      const planes = ops.matMul(g, ops.reshape(g, second, [0, -1, e]), hyperT);
      parts.push(ops.reshape(g, ops.transpose(g, planes, [0, 2, 1]), [0, k, s, 1, 4 * s]));
    }
  }
  const masks = ops.reshape(g, ops.concat(g, parts, 3), [-1, k, 4 * s, 4 * s]);
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
