import type { DecoderConfig } from "../config.ts";
import {
  convParams,
  convTransposeParams,
  layerNormParams,
  linearParams,
  type ParamSpec,
} from "../weights.ts";

function attentionParams(prefix: string, dim: number, downsample: number): ParamSpec[] {
  const inner = dim / downsample;
  return [
    ...linearParams(`${prefix}.q_proj`, dim, inner),
    ...linearParams(`${prefix}.k_proj`, dim, inner),
    ...linearParams(`${prefix}.v_proj`, dim, inner),
    ...linearParams(`${prefix}.out_proj`, inner, dim),
  ];
}

function mlpParams(
  prefix: string,
  inDim: number,
  hidden: number,
  outDim: number,
  layers: number,
): ParamSpec[] {
  const dims = [inDim, ...Array<number>(layers - 1).fill(hidden), outDim];
  return Array.from({ length: layers }, (_, i) =>
    linearParams(`${prefix}.layers.${i}`, dims[i]!, dims[i + 1]!),
  ).flat();
}

const embedding = (name: string, rows: number, dim: number): ParamSpec => ({
  name,
  shape: [rows, dim],
  role: "other",
  init: { kind: "normal", std: 1 },
});

/**
 * Every parameter of SAM's prompt encoder and mask decoder, named as in segment-anything's `Sam`
 * module, in the order the public ONNX export's forward pass first uses them (the order torch.onnx
 * emits their nodes). The importer relies on this order to place unnamed initializers.
 */
export function decoderParamSpecs(c: DecoderConfig): ParamSpec[] {
  const d = c.transformerDim;
  const pe = "prompt_encoder";
  const md = "mask_decoder";
  const tf = `${md}.transformer`;
  const q = c.maskInChans / 4;
  const specs: ParamSpec[] = [
    {
      name: `${pe}.pe_layer.positional_encoding_gaussian_matrix`,
      shape: [2, d / 2],
      role: "other",
      init: { kind: "normal", std: 1 },
    },
    embedding(`${pe}.not_a_point_embed.weight`, 1, d),
    ...[0, 1, 2, 3].map((i) => embedding(`${pe}.point_embeddings.${i}.weight`, 1, d)),
    ...convParams(`${pe}.mask_downscaling.0`, 1, q, 2),
    ...layerNormParams(`${pe}.mask_downscaling.1`, q),
    ...convParams(`${pe}.mask_downscaling.3`, q, c.maskInChans, 2),
    ...layerNormParams(`${pe}.mask_downscaling.4`, c.maskInChans),
    ...convParams(`${pe}.mask_downscaling.6`, c.maskInChans, d, 1),
    embedding(`${pe}.no_mask_embed.weight`, 1, d),
    embedding(`${md}.iou_token.weight`, 1, d),
    embedding(`${md}.mask_tokens.weight`, c.numMultimaskOutputs + 1, d),
  ];
  for (let i = 0; i < c.transformerDepth; i++) {
    const l = `${tf}.layers.${i}`;
    specs.push(
      ...attentionParams(`${l}.self_attn`, d, 1),
      ...layerNormParams(`${l}.norm1`, d),
      ...attentionParams(`${l}.cross_attn_token_to_image`, d, c.attentionDownsampleRate),
      ...layerNormParams(`${l}.norm2`, d),
      ...linearParams(`${l}.mlp.lin1`, d, c.mlpDim),
      ...linearParams(`${l}.mlp.lin2`, c.mlpDim, d),
      ...layerNormParams(`${l}.norm3`, d),
      ...attentionParams(`${l}.cross_attn_image_to_token`, d, c.attentionDownsampleRate),
      ...layerNormParams(`${l}.norm4`, d),
    );
  }
  const tokens = c.numMultimaskOutputs + 1;
  specs.push(
    ...attentionParams(`${tf}.final_attn_token_to_image`, d, c.attentionDownsampleRate),
    ...layerNormParams(`${tf}.norm_final_attn`, d),
    ...convTransposeParams(`${md}.output_upscaling.0`, d, d / 4, 2),
    ...layerNormParams(`${md}.output_upscaling.1`, d / 4),
    ...convTransposeParams(`${md}.output_upscaling.3`, d / 4, d / 8, 2),
    ...Array.from({ length: tokens }, (_, i) =>
      mlpParams(`${md}.output_hypernetworks_mlps.${i}`, d, d, d / 8, 3),
    ).flat(),
    ...mlpParams(`${md}.iou_prediction_head`, d, c.iouHeadHiddenDim, tokens, c.iouHeadDepth),
  );
  return specs;
}
