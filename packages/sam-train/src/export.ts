import {
  buildDecoderOnnx,
  type DecoderConfig,
  type DecoderBuildOptions,
  type WeightMap,
} from "@data-engine/sam-core";

export interface ExportedDecoder {
  /** The public export contract (what users' official SAM decoders look like). */
  decoder: Uint8Array;
  /** B prompts x 4 low-res masks, for the automatic mask generator and evaluation. */
  decoderThroughput: Uint8Array;
}

/** A trained decoder -> the two ONNX files of a model version. */
export function exportDecoder(
  c: DecoderConfig,
  weights: WeightMap,
  opts: Pick<DecoderBuildOptions, "opset" | "gelu"> = {},
): ExportedDecoder {
  return {
    decoder: buildDecoderOnnx(c, weights, { ...opts, variant: "public" }).model,
    decoderThroughput: buildDecoderOnnx(c, weights, { ...opts, variant: "throughput" }).model,
  };
}
