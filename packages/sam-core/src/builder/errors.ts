/** Raised when a model cannot be built from the given configuration, weights or options. */
export class SamBuilderError extends Error {
  override name = "SamBuilderError";
}

/** Raised when an existing ONNX file cannot be mapped back to SAM's reference parameters. */
export class SamImportError extends Error {
  override name = "SamImportError";
}
