import { validateDecoderConfig, type DecoderConfig } from "../config.ts";
import { initParams, type WeightMap } from "../weights.ts";
import { decoderParamSpecs } from "./params.ts";

/**
 * Seeded, PyTorch-default-like weights for the prompt encoder + mask decoder (see random.ts for the
 * generator): Linear/Conv kaiming-uniform(a=sqrt 5) with uniform bias, LayerNorm ones/zeros,
 * embeddings and the Fourier gaussian matrix N(0, 1).
 */
export function initDecoderWeights(c: DecoderConfig, seed: number): WeightMap {
  validateDecoderConfig(c);
  return initParams(decoderParamSpecs(c), seed);
}
