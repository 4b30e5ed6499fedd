/**
 * What automatic generation needs from a model, as two pluggable functions: encode a crop, and decode
 * a batch of single-point prompts against one embedding. Adapters over ONNX sessions live in
 * `ort-decoder.ts`; tests and workers may pass their own.
 */
import type { SamEmbedding } from "../embedding/embedding.ts";
import type { Box } from "../mask/types.ts";

export interface DecodedBatch {
  /** Masks per prompt M (4 for the multimask exports: token 0, then the three ambiguity tokens). */
  numMasks: number;
  /** `[count, M]` predicted IoU. */
  iouPredictions: Float32Array;
  /** `[count, M, lowResHeight, lowResWidth]` mask logits at low resolution. */
  lowResMasks: Float32Array;
  lowResHeight: number;
  lowResWidth: number;
}

/** Low-res logits of some prompts of a scored batch. */
export interface LowResMasks {
  /** `[n, M, lowResHeight, lowResWidth]` for the n prompts asked for, in the order asked. */
  lowResMasks: Float32Array;
  lowResHeight: number;
  lowResWidth: number;
}

/** Predicted IoU of a whole batch first; the masks of chosen prompts on demand. */
export interface ScoredBatch {
  numMasks: number;
  /** `[count, M]` predicted IoU. */
  iouPredictions: Float32Array;
  /** Mask logits of the prompts at these batch indices (ascending, no repeats). */
  masksOf(prompts: readonly number[]): Promise<LowResMasks>;
}

export interface AmgDecoder {
  /** Most prompts one `decodeBatch` call accepts (1 for a public single-prompt decoder). */
  readonly maxBatch: number;
  /**
   * Decodes `count` foreground single-point prompts. `points` holds `[x, y]` pairs already mapped to
   * the embedding's input frame (the longest-side-resized crop), `points[2 * i]`, `points[2 * i + 1]`.
   */
  decodeBatch(embedding: SamEmbedding, points: Float32Array, count: number): Promise<DecodedBatch>;
  /**
   * Optional two-stage form of `decodeBatch` (same prompts, same values): the IoU predictions come
   * first so that the generator asks for the masks of only the prompts that pass its IoU filter.
   */
  scoreBatch?(embedding: SamEmbedding, points: Float32Array, count: number): Promise<ScoredBatch>;
}

/** Encodes the crop `[x0, y0, x1, y1]` (exclusive ends) of the image; the full image is `[0, 0, W, H]`. */
export type EncodeCrop = (cropBox: Box) => Promise<SamEmbedding>;
