import { EmbeddingMismatchError } from "./errors.ts";

/** An image embedding as the encoder produced it, plus what the decoder needs to map prompts and masks. */
export interface SamEmbedding {
  /** `[1, C, h, w]` row-major float32. */
  data: Float32Array;
  shape: [number, number, number, number];
  /** `[height, width]` of the original image (before the longest-side resize). */
  originalSize: [number, number];
  /** Encoder input side S (the image was resized so its longest side is S, then padded to SxS). */
  inputSize: number;
  /** Identifies the encoder that produced it ("" when unknown). */
  modelId: string;
}

/** What a model expects of an embedding: its id (empty = unknown, not compared) and `[1,C,h,w]` shape. */
export interface EmbeddingExpectation {
  modelId?: string;
  shape: readonly number[];
  inputSize?: number;
}

/** Why `embedding` cannot be used with the model, or undefined when it can. */
export function embeddingMismatch(embedding: SamEmbedding, expected: EmbeddingExpectation): string | undefined {
  const want = expected.shape;
  if (want.length !== 4 || embedding.shape.some((d, i) => want[i] !== d && want[i] !== -1)) {
    return `embedding shape [${embedding.shape.join(",")}] does not match the model's image_embeddings [${want.join(",")}]`;
  }
  if (expected.modelId && embedding.modelId && expected.modelId !== embedding.modelId) {
    return `embedding was computed by model "${embedding.modelId}" but this predictor uses model "${expected.modelId}"`;
  }
  if (expected.inputSize !== undefined && expected.inputSize !== embedding.inputSize) {
    return `embedding was computed at input size ${embedding.inputSize} but the model expects ${expected.inputSize}`;
  }
  return undefined;
}

export function embeddingMatchesModel(embedding: SamEmbedding, expected: EmbeddingExpectation): boolean {
  return embeddingMismatch(embedding, expected) === undefined;
}

export function assertEmbeddingMatchesModel(embedding: SamEmbedding, expected: EmbeddingExpectation): void {
  const why = embeddingMismatch(embedding, expected);
  if (why) throw new EmbeddingMismatchError(why);
}
