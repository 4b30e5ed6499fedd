/** An embedding blob that cannot be decoded, or one that does not belong to the model in use. */
export class EmbeddingFormatError extends Error {
  override name = "EmbeddingFormatError";
}

export class EmbeddingMismatchError extends Error {
  override name = "EmbeddingMismatchError";
}
