import type { DecoderConfig, WeightMap } from "@data-engine/sam-core";

/*
 * A structured start for the decoder's cross attentions (image to token and token to image), so that a model trained from scratch
 * follows its prompt from the first step. Prompt tokens and image keys both carry SAM's random Fourier
 * encoding (sin of the projections in the first half of the channels, cos in the second). If the query
 * and key projections keep matching sin/cos pairs, an image position's attention logit for a point
 * token is sum_f cos(w_f . (x - p)): largest at the click. Image positions near the click then read
 * the point token first, which the mask head can turn into a mask around the click that training
 * sharpens to the object. Only the initial values change (the architecture and ONNX contract do not).
 */
export function alignPositionalAttention(
  w: WeightMap,
  c: DecoderConfig,
  strength: number,
  selfStrength = 0,
): WeightMap {
  const out: WeightMap = new Map(w);
  // First self-attention (no residual in SAM): near-identity attention keeps the point token distinct
  // from the output tokens instead of averaging all tokens together.
  if (selfStrength > 0) {
    for (const proj of ["q_proj", "k_proj"]) {
      const name = `mask_decoder.transformer.layers.0.self_attn.${proj}.weight`;
      const t = out.get(name)!;
      const data = new Float32Array(t.data);
      const rows = t.shape[0]!;
      for (let i = 0; i < Math.min(rows, t.shape[1]!); i++) data[i * t.shape[1]! + i]! += selfStrength;
      out.set(name, { shape: t.shape, data });
    }
  }
  const d = c.transformerDim;
  const half = d / 2;
  const inner = d / c.attentionDownsampleRate;
  const hd = inner / c.numHeads;
  const pairs = Math.floor(hd / 2);
  const t = "mask_decoder.transformer";
  const attentions = [
    ...Array.from({ length: c.transformerDepth }, (_, l) => [
      `${t}.layers.${l}.cross_attn_image_to_token`,
      `${t}.layers.${l}.cross_attn_token_to_image`,
    ]).flat(),
    `${t}.final_attn_token_to_image`,
  ];
  for (const a of attentions) {
    for (const proj of ["q_proj", "k_proj"]) {
      const name = `${a}.${proj}.weight`;
      const t = out.get(name)!;
      const data = new Float32Array(t.data);
      for (let h = 0; h < c.numHeads; h++) {
        for (let r = 0; r < pairs; r++) {
          const f = (h * pairs + r) % half;
          data[(h * hd + r) * d + f]! += strength;
          data[(h * hd + pairs + r) * d + half + f]! += strength;
        }
      }
      out.set(name, { shape: t.shape, data });
    }
  }
  return out;
}

/**
 * Content-carrying start of the first decoder layer's value paths (use with alignPositionalAttention):
 * the first token self-attention's value and output projections start as the identity and the first
 * token-to-image attention's as the identity on the channels the positional start aligns, each plus
 * `noise` times its random start (biases zero). The point token then enters the first cross attention
 * as itself and reads the image embedding around the click in the embedding's own channels, so that the
 * image-to-token attention that follows compares every position's features with the clicked ones
 * (content term of the aligned query-key product) as well as its position.
 */
export function alignValuePaths(w: WeightMap, c: DecoderConfig, noise = 0.1): WeightMap {
  const out: WeightMap = new Map(w);
  const d = c.transformerDim;
  const half = d / 2;
  const t = "mask_decoder.transformer.layers.0";
  const set = (name: string, rows: number, cols: number, ones: [number, number][]) => {
    const r = out.get(`${name}.weight`)!;
    if (r.shape[0] !== rows || r.shape[1] !== cols) throw new Error(`alignValuePaths: ${name} is not ${rows}x${cols}`);
    const data = r.data.map((v) => v * noise);
    for (const [i, j] of ones) data[i * cols + j]! += 1;
    out.set(`${name}.weight`, { shape: r.shape, data });
    const b = out.get(`${name}.bias`)!;
    out.set(`${name}.bias`, { shape: b.shape, data: new Float32Array(b.data.length) });
  };
  const id = Array.from({ length: d }, (_, i) => [i, i] as [number, number]);
  set(`${t}.self_attn.v_proj`, d, d, id);
  set(`${t}.self_attn.out_proj`, d, d, id);
  const inner = d / c.attentionDownsampleRate;
  const hd = inner / c.numHeads;
  const pairs = Math.floor(hd / 2);
  const map: [number, number][] = [];
  for (let h = 0; h < c.numHeads; h++) {
    for (let r = 0; r < pairs; r++) {
      const f = (h * pairs + r) % half;
      map.push([h * hd + r, f], [h * hd + pairs + r, half + f]);
    }
  }
  set(`${t}.cross_attn_token_to_image.v_proj`, inner, d, map);
  set(
    `${t}.cross_attn_token_to_image.out_proj`,
    d,
    inner,
    map.map(([i, j]) => [j, i]),
  );
  return out;
}
