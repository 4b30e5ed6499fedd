// A tiny SAM-architecture model (sam-core's builder, seeded random weights) and one image's embedding,
// shared by the annotator tests: masks are arbitrary shapes, but every path runs the real decoder.
import {
  SamPredictor,
  buildDecoderOnnx,
  buildEncoderOnnx,
  createWebBackend,
  encodeEmbedding,
  initDecoderWeights,
  samConfig,
  type RgbImage,
} from "@data-engine/sam-core/web";

export const MODEL_ID = "model-version-under-test";

export interface TinySetup {
  decoder: Uint8Array;
  predictor: SamPredictor;
  blob: Uint8Array;
  size: { width: number; height: number };
}

/** A deterministic test picture: a bright disc and a dark bar on a gradient. */
export function testImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 3 * (y * width + x);
      const disc = (x - width * 0.35) ** 2 + (y - height * 0.5) ** 2 < (height * 0.25) ** 2;
      const bar = x > width * 0.7 && x < width * 0.85;
      data[o] = disc ? 240 : bar ? 20 : (x * 255) / width;
      data[o + 1] = disc ? 200 : bar ? 30 : (y * 255) / height;
      data[o + 2] = disc ? 40 : bar ? 200 : 128;
    }
  }
  return { width, height, data };
}

export async function tinySetup(width = 120, height = 90): Promise<TinySetup> {
  const cfg = samConfig("tiny");
  const encoder = buildEncoderOnnx(cfg.encoder, { seed: 3, inputForm: "normalized" }).model;
  const decoder = buildDecoderOnnx(cfg.decoder, initDecoderWeights(cfg.decoder, 4), { variant: "public" }).model;
  const predictor = await SamPredictor.create({ backend: createWebBackend(), encoder, decoder, modelId: MODEL_ID });
  const embedding = await predictor.setImage(testImage(width, height));
  return { decoder, predictor, blob: encodeEmbedding(embedding, { dtype: "float16" }), size: { width, height } };
}
