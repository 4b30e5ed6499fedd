/**
 * The throughput decoder split in two graphs for automatic mask generation, so that the predicted-IoU
 * filter can run before any mask is computed:
 *
 * - `tokens`: `image_embeddings [1,C,h,w]`, `point_coords [B,N,2]`, `point_labels [B,N]` ->
 *   `iou_predictions [B,K]`, `hyper_in [B,K,C/8]` (the hypernetwork outputs), `keys [B,hw,C]` (the
 *   transformer's image-side output). No mask input: automatic generation never has one, so the dense
 *   embedding is `no_mask_embed` for every prompt and `image + dense` stays one `[1,C,h,w]` tensor. The
 *   transformer then broadcasts it, and everything that depends only on the image (positional encoding
 *   sum, the first layer's token-to-image K/V and image-to-token Q projections) runs once per batch.
 * - `masks`: `keys [N,hw,C]`, `hyper_in [N,K,C/8]` -> `low_res_masks [N,K,4h,4w]`: output upscaling and
 *   the hypernetwork product, run only for prompts with a mask that passed the IoU filter.
 *
 * The operations are those of `buildDecoderOnnx(..., { variant: "throughput" })` with `has_mask_input`
 * 0 (its dense embedding is then exactly `no_mask_embed`), in the same order, so the outputs are the
 * throughput decoder's (tests compare them).
 */
import { validateDecoderConfig, type DecoderConfig } from "../config.ts";
import { SamBuilderError } from "../errors.ts";
import { samMetadata } from "../metadata.ts";
import { layerNorm2d, mlp, ParamStore } from "../nn.ts";
import { GraphBuilder, type Value } from "../onnx/graph.ts";
import { serializeModel } from "../onnx/model.ts";
import * as ops from "../onnx/ops.ts";
import { checkWeights, type WeightMap } from "../weights.ts";
import { denseImagePe } from "./dense-pe.ts";
import { embedPoints, GAUSSIAN, layoutNote, resolveGelu, twoWayTransformer } from "./graph.ts";
import { decoderParamSpecs } from "./params.ts";

export interface AmgSplitBuildOptions {
  gelu?: "erf" | "tanh";
  opset?: number;
  quantize?: "none" | "dynamic-uint8";
}

export interface AmgSplitDecoder {
  /** `.onnx` bytes of the tokens graph (IoU predictions, hypernetwork outputs, transformer keys). */
  tokens: Uint8Array;
  /** `.onnx` bytes of the masks graph (low-res mask logits from keys and hypernetwork outputs). */
  masks: Uint8Array;
}

const MD = "mask_decoder";

function tokensGraph(c: DecoderConfig, weights: WeightMap, o: Required<AmgSplitBuildOptions>): Uint8Array {
  const g = new GraphBuilder(o.opset);
  const p = new ParamStore(g, weights, false, o.quantize === "dynamic-uint8");
  const d = c.transformerDim;
  const s = c.embeddingSize;
  const k = c.numMultimaskOutputs + 1;
  const image = g.input("image_embeddings", "float32", [1, d, s, s]);
  const coords = g.input("point_coords", "float32", ["batch", "num_points", 2]);
  const labels = g.input("point_labels", "float32", ["batch", "num_points"]);
  const sparse = embedPoints(g, p, c, coords, labels);
  const [iou, hyper, keys] = g.scope("mask_decoder", () => {
    const outTokens = ops.unsqueeze(g, ops.concat(g, [p.get(`${MD}.iou_token.weight`), p.get(`${MD}.mask_tokens.weight`)], 0), [0]);
    const batch = ops.slice(g, ops.shape(g, sparse), [0], [1], [0]);
    const expanded = ops.expand(g, outTokens, ops.concat(g, [batch, g.constI64([1, 1])], 0));
    const tokens = ops.concat(g, [expanded, sparse], 1);
    const noMask = ops.reshape(g, p.get("prompt_encoder.no_mask_embed.weight"), [1, d, 1, 1]);
    const src = ops.add(g, image, noMask);
    const pos = g.initFloat("/prompt_encoder/dense_pe", [1, d, s, s], denseImagePe(c, weights.get(GAUSSIAN)!.data));
    const [hs, keys] = g.scope("transformer", () => twoWayTransformer(g, p, c, src, pos, tokens));
    const hyper = g.scope("hypernetworks", () =>
      ops.concat(
        g,
        Array.from({ length: k }, (_, i) =>
          ops.unsqueeze(g, mlp(g, p, `${MD}.output_hypernetworks_mlps.${i}`, 3, ops.gatherConst(g, hs, 1 + i, 1)), [1]),
        ),
        1,
      ),
    );
    const iou = g.scope("iou_head", () => mlp(g, p, `${MD}.iou_prediction_head`, c.iouHeadDepth, ops.gatherConst(g, hs, 0, 1)));
    return [iou, hyper, keys] as [Value, Value, Value];
  });
  g.output(iou, "iou_predictions", "float32", ["batch", k]);
  g.output(hyper, "hyper_in", "float32", ["batch", k, d / 8]);
  g.output(keys, "keys", "float32", ["batch", s * s, d]);
  return serializeModel(g, {
    graphName: "decoder-amg-tokens",
    metadata: samMetadata("decoder-throughput", c, layoutNote(false, o.quantize === "dynamic-uint8"), { variant: "amg-tokens", gelu: o.gelu, quantize: o.quantize }),
  }).model;
}

function masksGraph(c: DecoderConfig, weights: WeightMap, o: Required<AmgSplitBuildOptions>): Uint8Array {
  const g = new GraphBuilder(o.opset);
  const p = new ParamStore(g, weights, false, o.quantize === "dynamic-uint8");
  const d = c.transformerDim;
  const s = c.embeddingSize;
  const k = c.numMultimaskOutputs + 1;
  const keys = g.input("keys", "float32", ["batch", s * s, d]);
  const hyper = g.input("hyper_in", "float32", ["batch", k, d / 8]);
  const masks = g.scope("mask_decoder", () => {
    const img = ops.reshape(g, ops.transpose(g, keys, [0, 2, 1]), [-1, d, s, s]);
    const up = g.scope("output_upscaling", () => {
      const u = `${MD}.output_upscaling`;
      let x = ops.convTranspose(g, img, p.get(`${u}.0.weight`), p.get(`${u}.0.bias`), 2, 2);
      x = ops.gelu(g, layerNorm2d(g, p, `${u}.1`, x), o.gelu);
      x = ops.convTranspose(g, x, p.get(`${u}.3.weight`), p.get(`${u}.3.bias`), 2, 2);
      return ops.gelu(g, x, o.gelu);
    });
    const flat = ops.reshape(g, up, [0, d / 8, -1]);
    return ops.reshape(g, ops.matMul(g, hyper, flat), [-1, k, 4 * s, 4 * s]);
  });
  g.output(masks, "low_res_masks", "float32", ["batch", k, 4 * s, 4 * s]);
  return serializeModel(g, {
    graphName: "decoder-amg-masks",
    metadata: samMetadata("decoder-throughput", c, layoutNote(false, o.quantize === "dynamic-uint8"), { variant: "amg-masks", gelu: o.gelu, quantize: o.quantize }),
  }).model;
}

/** Builds the two AMG graphs (see the file comment) from decoder weights. */
export function buildAmgSplitDecoder(c: DecoderConfig, weights: WeightMap, opts: AmgSplitBuildOptions = {}): AmgSplitDecoder {
  validateDecoderConfig(c);
  checkWeights(decoderParamSpecs(c), weights, "buildAmgSplitDecoder");
  const o: Required<AmgSplitBuildOptions> = { gelu: resolveGelu(opts.gelu), opset: opts.opset ?? 17, quantize: opts.quantize ?? "none" };
  if (o.quantize !== "none" && o.quantize !== "dynamic-uint8") {
    throw new SamBuilderError(`opts.quantize must be "none" or "dynamic-uint8", got "${String(o.quantize)}"`);
  }
  return { tokens: tokensGraph(c, weights, o), masks: masksGraph(c, weights, o) };
}
