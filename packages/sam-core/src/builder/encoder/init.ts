import { validateEncoderConfig, type EncoderConfig } from "../config.ts";
import { initParams, type WeightMap } from "../weights.ts";
import { encoderParamSpecs } from "./params.ts";

/** Seeded PyTorch-default-like encoder weights (see decoder/init.ts and encoder/params.ts). */
export function initEncoderWeights(c: EncoderConfig, seed: number): WeightMap {
  validateEncoderConfig(c);
  return initParams(encoderParamSpecs(c), seed);
}
