import { fromBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema } from "onnx-buf";
import type { ModelProto } from "onnx-buf";
import { OnnxFormatError } from "./errors.ts";

/** Decodes ONNX ModelProto bytes; throws OnnxFormatError when they are not an ONNX model with a graph. */
export function parseOnnx(bytes: Uint8Array, label = "model"): ModelProto {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new OnnxFormatError(`${label} is empty: expected ONNX model bytes`);
  }
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes, { readUnknownFields: false });
  } catch (err) {
    throw new OnnxFormatError(`${label} is not an ONNX model (protobuf parse failed: ${(err as Error).message})`);
  }
  if (!model.graph || (model.graph.node.length === 0 && model.graph.output.length === 0)) {
    throw new OnnxFormatError(`${label} is not an ONNX model (no graph found in ${bytes.length} bytes)`);
  }
  if (model.irVersion === 0n && model.opsetImport.length === 0) {
    throw new OnnxFormatError(`${label} is not an ONNX model (no IR version and no opset)`);
  }
  return model;
}
