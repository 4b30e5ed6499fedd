import type { EncoderConfig, WeightMap } from "@data-engine/sam-core";

/*
 * A structured start for the ViT image encoder of a model trained from scratch, so that the image
 * embedding carries each patch's colour and coarse sub-patch structure from step 0 (the decoder then
 * only has to learn click -> location -> "same colour/texture as there"). Only initial values change:
 * the architecture, the parameter set and the ONNX contract are SAM's.
 *
 * - patch embedding: the first 9 channels are, per colour channel, the patch mean and the left-minus-right
 *   and top-minus-bottom half differences (times `gain`); the other channels keep their random
 *   projections of the patch pixels (texture);
 * - every block's residual branches (attention output projection, MLP second layer) are scaled by
 *   `residualScale`, so the blocks start near the identity instead of mixing patches with random
 *   attention;
 * - the neck's 3x3 conv starts as the identity on its centre tap plus `residualScale` times its random
 *   weights, instead of a random mix of each cell's neighbours.
 */
export interface EncoderStartOptions {
  /** Scale of the blocks' residual branches and of the neck 3x3 conv's random part (default 0.1). */
  residualScale?: number;
  /** Gain of the colour-statistics channels of the patch embedding (default 1). */
  gain?: number;
}

export function colourPassThroughEncoder(w: WeightMap, c: EncoderConfig, o: EncoderStartOptions = {}): WeightMap {
  const scale = o.residualScale ?? 0.1;
  const gain = o.gain ?? 1;
  const out: WeightMap = new Map(w);
  const ie = "image_encoder";
  const p = c.patchSize;
  const pe = out.get(`${ie}.patch_embed.proj.weight`)!;
  const pw = new Float32Array(pe.data);
  const pb = new Float32Array(out.get(`${ie}.patch_embed.proj.bias`)!.data);
  const n = p * p;
  for (let ch = 0; ch < 3; ch++) {
    for (let f = 0; f < 3; f++) {
      const o = ch * 3 + f;
      pb[o] = 0;
      for (let ic = 0; ic < 3; ic++) {
        for (let y = 0; y < p; y++) {
          for (let x = 0; x < p; x++) {
            const at = ((o * 3 + ic) * p + y) * p + x;
            if (ic !== ch) {
              pw[at] = 0;
              continue;
            }
            const sign = f === 0 ? 1 : f === 1 ? (x < p / 2 ? 1 : -1) : y < p / 2 ? 1 : -1;
            pw[at] = (gain * sign) / (f === 0 ? n : n / 2);
          }
        }
      }
    }
  }
  out.set(`${ie}.patch_embed.proj.weight`, { shape: pe.shape, data: pw });
  out.set(`${ie}.patch_embed.proj.bias`, { shape: [pb.length], data: pb });
  const scaled = (name: string) => {
    const t = out.get(name)!;
    out.set(name, { shape: t.shape, data: t.data.map((v) => v * scale) });
  };
  for (let i = 0; i < c.depth; i++) {
    const b = `${ie}.blocks.${i}`;
    for (const n of ["attn.proj", "mlp.lin2"]) {
      scaled(`${b}.${n}.weight`);
      scaled(`${b}.${n}.bias`);
    }
  }
  const neck = out.get(`${ie}.neck.2.weight`)!;
  const nd = neck.data.map((v) => v * scale);
  const C = neck.shape[0]!;
  for (let oc = 0; oc < C; oc++) nd[((oc * C + oc) * 3 + 1) * 3 + 1]! += 1;
  out.set(`${ie}.neck.2.weight`, { shape: neck.shape, data: nd });
  return out;
}
