import type { EncoderConfig } from "../config.ts";
import { convParams, layerNormParams, linearParams, type ParamSpec } from "../weights.ts";

/** Side of the attention grid of block `i`: the window, or the whole patch grid for global blocks. */
export function blockAttnSize(c: EncoderConfig, i: number): number {
  return c.globalAttnIndexes.includes(i) ? c.imgSize / c.patchSize : c.windowSize;
}

/**
 * Parameters of segment-anything's `ImageEncoderViT` (prefix `image_encoder.`), in forward order.
 * SAM initialises `pos_embed` and the relative position tables to zeros and learns them; here they
 * are drawn from N(0, 0.02^2) so that a randomly initialised model exercises every path.
 */
export function encoderParamSpecs(c: EncoderConfig): ParamSpec[] {
  const e = c.embedDim;
  const grid = c.imgSize / c.patchSize;
  const headDim = e / c.numHeads;
  const hidden = e * c.mlpRatio;
  const ie = "image_encoder";
  const specs: ParamSpec[] = [
    ...convParams(`${ie}.patch_embed.proj`, 3, e, c.patchSize),
    {
      name: `${ie}.pos_embed`,
      shape: [1, grid, grid, e],
      role: "other",
      init: { kind: "normal", std: 0.02 },
    },
  ];
  for (let i = 0; i < c.depth; i++) {
    const b = `${ie}.blocks.${i}`;
    const s = blockAttnSize(c, i);
    const rel = (axis: "h" | "w"): ParamSpec => ({
      name: `${b}.attn.rel_pos_${axis}`,
      shape: [2 * s - 1, headDim],
      role: "other",
      init: { kind: "normal", std: 0.02 },
    });
    specs.push(
      ...layerNormParams(`${b}.norm1`, e),
      ...linearParams(`${b}.attn.qkv`, e, 3 * e),
      rel("h"),
      rel("w"),
      ...linearParams(`${b}.attn.proj`, e, e),
      ...layerNormParams(`${b}.norm2`, e),
      ...linearParams(`${b}.mlp.lin1`, e, hidden),
      ...linearParams(`${b}.mlp.lin2`, hidden, e),
    );
  }
  specs.push(
    ...convParams(`${ie}.neck.0`, e, c.outChans, 1, false),
    ...layerNormParams(`${ie}.neck.1`, c.outChans),
    ...convParams(`${ie}.neck.2`, c.outChans, c.outChans, 3, false),
    ...layerNormParams(`${ie}.neck.3`, c.outChans),
  );
  return specs;
}
