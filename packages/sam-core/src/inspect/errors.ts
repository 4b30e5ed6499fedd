/** Bytes that are not a readable ONNX model. */
export class OnnxFormatError extends Error {
  override name = "OnnxFormatError";
}

/** A readable ONNX model that is not the kind of SAM model the caller needs. */
export class ModelRoleError extends Error {
  override name = "ModelRoleError";
}
