import { validateDecoderConfig, type DecoderConfig } from "../config.ts";
import { SamBuilderError } from "../errors.ts";
import { samMetadata } from "../metadata.ts";
import { layerNorm, layerNorm2d, linear, mlp, ParamStore } from "../nn.ts";
import { GraphBuilder, type Value } from "../onnx/graph.ts";
import { serializeModel, type SerializedModel } from "../onnx/model.ts";
import * as ops from "../onnx/ops.ts";
import { checkWeights, type WeightMap } from "../weights.ts";
import { denseImagePe } from "./dense-pe.ts";
import { decoderParamSpecs } from "./params.ts";

export interface DecoderBuildOptions {
  /** `public`: the official SamOnnxModel contract. `throughput`: B prompts x 4 low-res masks, no postprocessing. */
  variant?: "public" | "throughput";
  /** public only: keep one mask per call, chosen as the official `select_masks` does. */
  returnSingleMask?: boolean;
  /** public only: add `stability_scores` and `areas` outputs (computed on the full-size masks). */
  returnExtraMetrics?: boolean;
  /** public only: replace predicted IoU by the stability score of the low-res masks (export's `use_stability_score`). */
  useStabilityScore?: boolean;
  gelu?: "erf" | "tanh";
  opset?: number;
  /** Store Linear weights transposed under `onnx::MatMul_<n>` names, as torch.onnx exports do. */
  torchStyleNames?: boolean;
  /** Offset of the stability score thresholds (official default 1.0). */
  stabilityScoreOffset?: number;
  /**
   * `dynamic-uint8`: every MatMul against a constant 2-D weight (Linear layers, the Fourier gaussian
   * matrix) in the form of onnxruntime's `quantize_dynamic(per_channel=False, reduce_range=False,
   * weight_type=QUInt8)`, as the official quantized export ships. Inputs and outputs are unchanged.
   */
  quantize?: "none" | "dynamic-uint8";
}

export const GAUSSIAN = "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix";

/** Threshold on mask logits (the official `mask_threshold`). */
const MASK_THRESHOLD = 0;

function attention(
  g: GraphBuilder,
  p: ParamStore,
  prefix: string,
  c: DecoderConfig,
  inner: number,
  q: Value,
  k: Value,
  v: Value,
): Value {
  const h = c.numHeads;
  const d = inner / h;
  const qh = ops.transpose(
    g,
    ops.reshape(g, linear(g, p, `${prefix}.q_proj`, q), [0, 0, h, d]),
    [0, 2, 1, 3],
  );
  const khT = ops.transpose(
    g,
    ops.reshape(g, linear(g, p, `${prefix}.k_proj`, k), [0, 0, h, d]),
    [0, 2, 3, 1],
  );
  const vh = ops.transpose(
    g,
    ops.reshape(g, linear(g, p, `${prefix}.v_proj`, v), [0, 0, h, d]),
    [0, 2, 1, 3],
  );
  const logits = ops.div(g, ops.matMul(g, qh, khT), g.constF(Math.sqrt(d), []));
  const out = ops.matMul(g, ops.softmax(g, logits, -1), vh);
  const merged = ops.reshape(g, ops.transpose(g, out, [0, 2, 1, 3]), [0, 0, inner]);
  return linear(g, p, `${prefix}.out_proj`, merged);
}

/**
 * TwoWayTransformer: returns [queries (B,T,C), keys (B,hw,C)]. `src`/`pos` may have batch 1 while the
 * tokens have batch B: every product broadcasts, so image-side work before the first image-to-token
 * update runs once (the AMG split graphs rely on this).
 */
export function twoWayTransformer(
  g: GraphBuilder,
  p: ParamStore,
  c: DecoderConfig,
  src: Value,
  pos: Value,
  tokens: Value,
): [Value, Value] {
  const d = c.transformerDim;
  const cross = d / c.attentionDownsampleRate;
  const tf = "mask_decoder.transformer";
  let keys = ops.transpose(g, ops.reshape(g, src, [0, d, -1]), [0, 2, 1]);
  const keyPe = ops.transpose(g, ops.reshape(g, pos, [0, d, -1]), [0, 2, 1]);
  const queryPe = tokens;
  let queries = tokens;
  for (let i = 0; i < c.transformerDepth; i++) {
    const l = `${tf}.layers.${i}`;
    g.scope(`layers.${i}`, () => {
      if (i === 0) {
        // skip_first_layer_pe: the first self-attention replaces the queries instead of adding to them.
        queries = attention(g, p, `${l}.self_attn`, c, d, queries, queries, queries);
      } else {
        const qq = ops.add(g, queries, queryPe);
        queries = ops.add(g, queries, attention(g, p, `${l}.self_attn`, c, d, qq, qq, queries));
      }
      queries = layerNorm(g, p, `${l}.norm1`, queries, 1e-5);
      let qq = ops.add(g, queries, queryPe);
      let kk = ops.add(g, keys, keyPe);
      queries = ops.add(
        g,
        queries,
        attention(g, p, `${l}.cross_attn_token_to_image`, c, cross, qq, kk, keys),
      );
      queries = layerNorm(g, p, `${l}.norm2`, queries, 1e-5);
      const hidden = ops.relu(g, linear(g, p, `${l}.mlp.lin1`, queries));
      queries = ops.add(g, queries, linear(g, p, `${l}.mlp.lin2`, hidden));
      queries = layerNorm(g, p, `${l}.norm3`, queries, 1e-5);
      qq = ops.add(g, queries, queryPe);
      kk = ops.add(g, keys, keyPe);
      keys = ops.add(g, keys, attention(g, p, `${l}.cross_attn_image_to_token`, c, cross, kk, qq, queries));
      keys = layerNorm(g, p, `${l}.norm4`, keys, 1e-5);
    });
  }
  const qq = ops.add(g, queries, queryPe);
  const kk = ops.add(g, keys, keyPe);
  queries = ops.add(g, queries, attention(g, p, `${tf}.final_attn_token_to_image`, c, cross, qq, kk, keys));
  queries = layerNorm(g, p, `${tf}.norm_final_attn`, queries, 1e-5);
  return [queries, keys];
}

/** The official export's `_embed_points`: coords [B,N,2] in the input frame, labels [B,N]. */
export function embedPoints(g: GraphBuilder, p: ParamStore, c: DecoderConfig, coords: Value, labels: Value): Value {
  return g.scope("embed_points", () => {
    const pe = "prompt_encoder";
    const unit = ops.div(g, ops.add(g, coords, g.constF(0.5, [])), g.constF(c.inputSize, []));
    const centred = ops.sub(g, ops.mul(g, unit, g.constF(2, [])), g.constF(1, []));
    const proj = ops.mul(
      g,
      p.matMulConst(centred, `${pe}.pe_layer.positional_encoding_gaussian_matrix`),
      g.constF(2 * Math.PI, []),
    );
    let emb = ops.concat(g, [ops.sin(g, proj), ops.cos(g, proj)], -1);
    const lab = ops.unsqueeze(g, labels, [2]);
    const isLabel = (v: number) => ops.cast(g, ops.equal(g, lab, g.constF(v, [])), "float32");
    const padding = isLabel(-1);
    emb = ops.mul(g, emb, ops.sub(g, g.constF(1, []), padding));
    emb = ops.add(g, emb, ops.mul(g, p.get(`${pe}.not_a_point_embed.weight`), padding));
    for (let i = 0; i < 4; i++)
      emb = ops.add(g, emb, ops.mul(g, p.get(`${pe}.point_embeddings.${i}.weight`), isLabel(i)));
    return emb;
  });
}

/** The official export's `_embed_masks`: blend the downscaled mask with no_mask_embed by has_mask_input. */
function embedMasks(
  g: GraphBuilder,
  p: ParamStore,
  c: DecoderConfig,
  mask: Value,
  hasMask: Value,
  gelu: "erf" | "tanh",
): Value {
  return g.scope("embed_masks", () => {
    const md = "prompt_encoder.mask_downscaling";
    let x = ops.conv(g, mask, p.get(`${md}.0.weight`), p.get(`${md}.0.bias`), { kernel: 2, stride: 2 });
    x = ops.gelu(g, layerNorm2d(g, p, `${md}.1`, x), gelu);
    x = ops.conv(g, x, p.get(`${md}.3.weight`), p.get(`${md}.3.bias`), { kernel: 2, stride: 2 });
    x = ops.gelu(g, layerNorm2d(g, p, `${md}.4`, x), gelu);
    x = ops.conv(g, x, p.get(`${md}.6.weight`), p.get(`${md}.6.bias`), { kernel: 1 });
    const has = ops.reshape(g, hasMask, [-1, 1, 1, 1]);
    const noMask = ops.reshape(g, p.get("prompt_encoder.no_mask_embed.weight"), [1, c.transformerDim, 1, 1]);
    return ops.add(g, ops.mul(g, has, x), ops.mul(g, ops.sub(g, g.constF(1, []), has), noMask));
  });
}

/** MaskDecoder.predict_masks: low-res masks [B,K,4h,4w] and IoU predictions [B,K] for all K tokens. */
function predictMasks(
  g: GraphBuilder,
  p: ParamStore,
  c: DecoderConfig,
  image: Value,
  sparse: Value,
  dense: Value,
  gelu: "erf" | "tanh",
  gaussian: Float32Array,
): [Value, Value] {
  const d = c.transformerDim;
  const k = c.numMultimaskOutputs + 1;
  const s = c.embeddingSize;
  const md = "mask_decoder";
  const outTokens = ops.unsqueeze(
    g,
    ops.concat(g, [p.get(`${md}.iou_token.weight`), p.get(`${md}.mask_tokens.weight`)], 0),
    [0],
  );
  const batch = ops.slice(g, ops.shape(g, sparse), [0], [1], [0]);
  const expanded = ops.expand(g, outTokens, ops.concat(g, [batch, g.constI64([1, 1])], 0));
  const tokens = ops.concat(g, [expanded, sparse], 1);
  const src = ops.add(g, image, dense);
  // get_dense_pe() depends on no input: the export carries it as a constant, as torch.onnx folds it.
  const pos = g.initFloat("/prompt_encoder/dense_pe", [1, d, s, s], denseImagePe(c, gaussian));
  const [hs, keys] = g.scope("transformer", () => twoWayTransformer(g, p, c, src, pos, tokens));

  const img = ops.reshape(g, ops.transpose(g, keys, [0, 2, 1]), [-1, d, s, s]);
  const up = g.scope("output_upscaling", () => {
    const u = `${md}.output_upscaling`;
    let x = ops.convTranspose(g, img, p.get(`${u}.0.weight`), p.get(`${u}.0.bias`), 2, 2);
    x = ops.gelu(g, layerNorm2d(g, p, `${u}.1`, x), gelu);
    x = ops.convTranspose(g, x, p.get(`${u}.3.weight`), p.get(`${u}.3.bias`), 2, 2);
    return ops.gelu(g, x, gelu);
  });
  const hyper = g.scope("hypernetworks", () =>
    ops.concat(
      g,
      Array.from({ length: k }, (_, i) =>
        ops.unsqueeze(
          g,
          mlp(g, p, `${md}.output_hypernetworks_mlps.${i}`, 3, ops.gatherConst(g, hs, 1 + i, 1)),
          [1],
        ),
      ),
      1,
    ),
  );
  const flat = ops.reshape(g, up, [0, d / 8, -1]);
  const masks = ops.reshape(g, ops.matMul(g, hyper, flat), [-1, k, 4 * s, 4 * s]);
  const iou = g.scope("iou_head", () =>
    mlp(g, p, `${md}.iou_prediction_head`, c.iouHeadDepth, ops.gatherConst(g, hs, 0, 1)),
  );
  return [masks, iou];
}

/** The official `calculate_stability_score`: IoU of the masks thresholded at +offset and -offset. */
function stabilityScore(g: GraphBuilder, masks: Value, offset: number): Value {
  const count = (thr: number) =>
    ops.reduceSum(
      g,
      ops.cast(g, ops.greater(g, masks, g.constF(MASK_THRESHOLD + thr, [])), "int64"),
      [-2, -1],
      false,
    );
  return ops.div(g, ops.cast(g, count(offset), "float32"), ops.cast(g, count(-offset), "float32"));
}

/** The official `mask_postprocessing`: to the input frame, crop the padding, to the original size. */
function postprocess(g: GraphBuilder, c: DecoderConfig, masks: Value, origSize: Value): Value {
  return g.scope("postprocess", () => {
    const full = ops.resizeBilinear(
      g,
      masks,
      ops.resizeSizes(g, masks, g.constI64([c.inputSize, c.inputSize])),
    );
    const scale = ops.div(g, g.constF(c.inputSize, []), ops.reduceMaxAll(g, origSize));
    const prepadded = ops.cast(
      g,
      ops.floor(g, ops.add(g, ops.mul(g, origSize, scale), g.constF(0.5, []))),
      "int64",
    );
    const cropped = ops.slice(g, full, [0, 0], prepadded, [2, 3]);
    const orig = ops.cast(g, origSize, "int64");
    return ops.resizeBilinear(g, cropped, ops.resizeSizes(g, cropped, orig));
  });
}

export function layoutNote(torchStyle: boolean, quantized: boolean): string {
  const q = quantized
    ? "; constant MatMul weights are uint8 [in,out] `<base>_quantized` with `<base>_scale`/`<base>_zero_point` (onnxruntime dynamic quantization)"
    : "";
  return layout(torchStyle) + q;
}

function layout(torchStyle: boolean): string {
  return torchStyle
    ? "Linear weights: transposed [in,out] initializers named onnx::MatMul_<n>; all other parameters by reference name in PyTorch layout"
    : "every parameter is an initializer named by its segment-anything reference name, PyTorch layout (Linear [out,in], Conv [out,in,kh,kw], ConvTranspose [in,out,kh,kw])";
}

/** The GELU form a decoder builder was asked for (default the erf form, torch's), checked. */
export function resolveGelu(gelu: unknown): "erf" | "tanh" {
  const g = gelu ?? "erf";
  if (g !== "erf" && g !== "tanh") throw new SamBuilderError(`opts.gelu must be "erf" or "tanh", got "${String(g)}"`);
  return g;
}

/**
 * Builds SAM's prompt encoder + mask decoder as ONNX. `public` reproduces the official SamOnnxModel
 * export contract; `throughput` decodes a batch of B prompts against one image embedding.
 */
export function buildDecoderOnnx(
  c: DecoderConfig,
  weights: WeightMap,
  opts: DecoderBuildOptions = {},
): SerializedModel {
  validateDecoderConfig(c);
  checkWeights(decoderParamSpecs(c), weights, "buildDecoderOnnx");
  const variant = opts.variant ?? "public";
  if (variant !== "public" && variant !== "throughput")
    throw new SamBuilderError(`unknown decoder variant "${String(variant)}"`);
  if (
    variant === "throughput" &&
    (opts.returnSingleMask || opts.returnExtraMetrics || opts.useStabilityScore)
  ) {
    throw new SamBuilderError(
      "returnSingleMask, returnExtraMetrics and useStabilityScore apply to the public variant only",
    );
  }
  const gelu = resolveGelu(opts.gelu);
  const offset = opts.stabilityScoreOffset ?? 1;
  const quantize = opts.quantize ?? "none";
  if (quantize !== "none" && quantize !== "dynamic-uint8")
    throw new SamBuilderError(`opts.quantize must be "none" or "dynamic-uint8", got "${String(quantize)}"`);
  const g = new GraphBuilder(opts.opset ?? 17);
  const p = new ParamStore(g, weights, opts.torchStyleNames ?? false, quantize === "dynamic-uint8");
  const d = c.transformerDim;
  const s = c.embeddingSize;
  const k = c.numMultimaskOutputs + 1;
  const B: number | string = variant === "public" ? 1 : "batch";

  const image = g.input("image_embeddings", "float32", [1, d, s, s]);
  const coords = g.input("point_coords", "float32", [B, "num_points", 2]);
  const labels = g.input("point_labels", "float32", [B, "num_points"]);
  const maskInput = g.input("mask_input", "float32", [B, 1, 4 * s, 4 * s]);
  const hasMask = g.input("has_mask_input", "float32", [B]);
  const origSize = variant === "public" ? g.input("orig_im_size", "float32", [2]) : null;

  const sparse = embedPoints(g, p, c, coords, labels);
  const dense = embedMasks(g, p, c, maskInput, hasMask, gelu);
  let [masks, scores] = g.scope("mask_decoder", () =>
    predictMasks(g, p, c, image, sparse, dense, gelu, weights.get(GAUSSIAN)!.data),
  );

  if (variant === "throughput") {
    g.output(scores, "iou_predictions", "float32", [B, k]);
    g.output(masks, "low_res_masks", "float32", [B, k, 4 * s, 4 * s]);
  } else {
    if (opts.useStabilityScore) scores = stabilityScore(g, masks, offset);
    let outK = k;
    if (opts.returnSingleMask) {
      outK = 1;
      const numPoints = ops.cast(g, ops.gatherConst(g, ops.shape(g, coords), 1, 0), "float32");
      const reweight = g.constF([1000, ...Array<number>(k - 1).fill(0)], [1, k]);
      const score = ops.add(g, scores, ops.mul(g, ops.sub(g, numPoints, g.constF(2.5, [])), reweight));
      const best = ops.argMax(g, score, 1, false);
      masks = ops.gather(g, masks, best, 1);
      scores = ops.gather(g, scores, best, 1);
    }
    const upscaled = postprocess(g, c, masks, origSize!);
    g.output(upscaled, "masks", "float32", [1, outK, "height", "width"]);
    g.output(scores, "iou_predictions", "float32", [1, outK]);
    if (opts.returnExtraMetrics) {
      g.output(stabilityScore(g, upscaled, offset), "stability_scores", "float32", [1, outK]);
      const area = ops.reduceSum(
        g,
        ops.cast(g, ops.greater(g, upscaled, g.constF(MASK_THRESHOLD, [])), "int64"),
        [-2, -1],
        false,
      );
      g.output(area, "areas", "int64", [1, outK]);
    }
    g.output(masks, "low_res_masks", "float32", [1, outK, 4 * s, 4 * s]);
  }
  const role = variant === "public" ? "decoder" : "decoder-throughput";
  return serializeModel(g, {
    graphName: role,
    metadata: samMetadata(role, c, layoutNote(opts.torchStyleNames ?? false, quantize === "dynamic-uint8"), {
      variant,
      returnSingleMask: opts.returnSingleMask ?? false,
      returnExtraMetrics: opts.returnExtraMetrics ?? false,
      useStabilityScore: opts.useStabilityScore ?? false,
      gelu,
      quantize,
    }),
  });
}
