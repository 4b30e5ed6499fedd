import { TensorProto_DataLocation, TensorProto_DataType } from "onnx-buf";
import type { ModelProto, TensorProto } from "onnx-buf";
import { parseOnnx } from "./parse.ts";
import { detectRole } from "./roles.ts";
import type { SamGeometry, ModelRole } from "./roles.ts";
import { dtypeName, elementCount, tensorInfo } from "./tensor-info.ts";
import type { TensorInfo } from "./tensor-info.ts";

export interface ModelInfo {
  role: ModelRole;
  roleReason: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  irVersion: number;
  /** Version of the default ("ai.onnx") opset. */
  opset: number;
  opsets: Record<string, number>;
  producer: string;
  metadata: Record<string, string>;
  /** Weight values (floating and 8-bit initializers and Constant tensors). */
  parameterCount: number;
  /** Weight elements per dtype. */
  parameterDtypes: Record<string, number>;
  quantized: boolean;
  /** Node count per op type. */
  ops: Record<string, number>;
  /** Side files the weights live in (external data), empty when self-contained. */
  externalDataFiles: string[];
  sam: SamGeometry;
  byteLength: number;
}

const WEIGHT_TYPES = new Set<TensorProto_DataType>([
  TensorProto_DataType.FLOAT,
  TensorProto_DataType.FLOAT16,
  TensorProto_DataType.BFLOAT16,
  TensorProto_DataType.DOUBLE,
  TensorProto_DataType.INT8,
  TensorProto_DataType.UINT8,
]);

const QUANT_OPS = new Set([
  "QuantizeLinear",
  "DequantizeLinear",
  "DynamicQuantizeLinear",
  "MatMulInteger",
  "ConvInteger",
  "QLinearMatMul",
  "QLinearConv",
  "MatMulNBits",
  "DynamicQuantizeMatMul",
  "QGemm",
]);

/** Reads an ONNX model's interface, size, and SAM role without a runtime. */
export function inspectOnnx(bytes: Uint8Array, label?: string): ModelInfo {
  return inspectModelProto(parseOnnx(bytes, label), bytes.length);
}

export function inspectModelProto(model: ModelProto, byteLength = 0): ModelInfo {
  const graph = model.graph!;
  const initNames = new Set(graph.initializer.map((t) => t.name));
  // Older exporters list initializers among the graph inputs; those are weights, not inputs.
  const inputs = graph.input.filter((v) => !initNames.has(v.name)).map(tensorInfo);
  const outputs = graph.output.map(tensorInfo);
  const metadata = Object.fromEntries(model.metadataProps.map((e) => [e.key, e.value]));
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport) opsets[o.domain || "ai.onnx"] = Number(o.version);

  const weights: TensorProto[] = [...graph.initializer];
  const ops: Record<string, number> = {};
  for (const node of graph.node) {
    ops[node.opType] = (ops[node.opType] ?? 0) + 1;
    if (node.opType === "Constant") for (const a of node.attribute) if (a.t) weights.push(a.t);
  }
  const parameterDtypes: Record<string, number> = {};
  let parameterCount = 0;
  const external = new Set<string>();
  for (const t of weights) {
    if (t.dataLocation === TensorProto_DataLocation.EXTERNAL) {
      const loc = t.externalData.find((e) => e.key === "location")?.value;
      if (loc) external.add(loc);
    }
    if (!WEIGHT_TYPES.has(t.dataType)) continue;
    const n = elementCount(t);
    parameterCount += n;
    const name = dtypeName(t.dataType);
    parameterDtypes[name] = (parameterDtypes[name] ?? 0) + n;
  }
  const eightBit = (parameterDtypes["int8"] ?? 0) + (parameterDtypes["uint8"] ?? 0);
  const quantized = Object.keys(ops).some((op) => QUANT_OPS.has(op)) || eightBit > parameterCount / 4;

  const { role, reason, sam } = detectRole(inputs, outputs, metadata);
  return {
    role,
    roleReason: reason,
    inputs,
    outputs,
    irVersion: Number(model.irVersion),
    opset: opsets["ai.onnx"] ?? 0,
    opsets,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(" "),
    metadata,
    parameterCount,
    parameterDtypes,
    quantized,
    ops,
    externalDataFiles: [...external],
    sam,
    byteLength,
  };
}
