import { create, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type TensorProto,
  type ValueInfoProto,
} from "onnx-buf";
import { SamBuilderError } from "../errors.ts";
import type { AttrValue, ElemType, GraphBuilder, IoRecord } from "./graph.ts";

/** ONNX refuses protobufs over 2 GiB; above this many initializer bytes weights go to a side file. */
export const EXTERNAL_DATA_THRESHOLD = 1.8e9;

export interface SerializeOptions {
  graphName: string;
  metadata?: Record<string, string>;
  producerName?: string;
  producerVersion?: string;
  /**
   * `"auto"` (default): external data only above EXTERNAL_DATA_THRESHOLD. `true`: always. The
   * side file is referenced by `externalDataFile` relative to the .onnx file, as ONNX specifies.
   */
  externalData?: boolean | "auto";
  externalDataFile?: string;
}

export interface SerializedModel {
  /** The ModelProto bytes (the `.onnx` file). */
  model: Uint8Array;
  /** Present when weights live outside the model: write `chunks` in order to `fileName`. */
  external?: { fileName: string; chunks: Uint8Array[]; byteLength: number };
}

const DATA_TYPE: Record<ElemType, TensorProto_DataType> = {
  float32: TensorProto_DataType.FLOAT,
  int64: TensorProto_DataType.INT64,
  int32: TensorProto_DataType.INT32,
  bool: TensorProto_DataType.BOOL,
  uint8: TensorProto_DataType.UINT8,
};

/** Tensors smaller than this stay inline even with external data (as onnx's own saver does). */
const EXTERNAL_MIN_BYTES = 1024;
/** Offsets in the side file are aligned so a runtime may memory-map tensors. */
const EXTERNAL_ALIGN = 64;

function valueInfo(io: IoRecord): ValueInfoProto {
  const dim = io.dims.map((d) =>
    create(TensorShapeProto_DimensionSchema, {
      value: typeof d === "number" ? { case: "dimValue", value: BigInt(d) } : { case: "dimParam", value: d },
    }),
  );
  return create(ValueInfoProtoSchema, {
    name: io.name,
    type: create(TypeProtoSchema, {
      value: {
        case: "tensorType",
        value: create(TypeProto_TensorSchema, {
          elemType: DATA_TYPE[io.elemType],
          shape: create(TensorShapeProtoSchema, { dim }),
        }),
      },
    }),
  });
}

function attribute(name: string, v: AttrValue): AttributeProto {
  const T = AttributeProto_AttributeType;
  if (typeof v === "number") return create(AttributeProtoSchema, { name, type: T.INT, i: BigInt(v) });
  if (typeof v === "string") {
    return create(AttributeProtoSchema, { name, type: T.STRING, s: new TextEncoder().encode(v) });
  }
  if (Array.isArray(v))
    return create(AttributeProtoSchema, { name, type: T.INTS, ints: v.map((x) => BigInt(x)) });
  if ("f" in v) return create(AttributeProtoSchema, { name, type: T.FLOAT, f: v.f });
  return create(AttributeProtoSchema, { name, type: T.FLOATS, floats: v.fs });
}

/** Encodes the graph as an ONNX ModelProto (IR version 8), optionally with weights in a side file. */
export function serializeModel(g: GraphBuilder, opts: SerializeOptions): SerializedModel {
  const total = g.initializerBytes();
  const mode = opts.externalData ?? "auto";
  const useExternal = mode === true || (mode === "auto" && total > EXTERNAL_DATA_THRESHOLD);
  const fileName = opts.externalDataFile ?? `${opts.graphName}.onnx.data`;
  if (useExternal && (fileName.includes("/") || fileName.includes("\\") || fileName.length === 0)) {
    throw new SamBuilderError(`externalDataFile must be a bare file name, got "${fileName}"`);
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const initializer: TensorProto[] = g.initializers.map((t) => {
    const base = { name: t.name, dims: t.dims.map((d) => BigInt(d)), dataType: DATA_TYPE[t.elemType] };
    if (!useExternal || t.bytes.byteLength < EXTERNAL_MIN_BYTES)
      return create(TensorProtoSchema, { ...base, rawData: t.bytes });
    const padBytes = (EXTERNAL_ALIGN - (offset % EXTERNAL_ALIGN)) % EXTERNAL_ALIGN;
    if (padBytes > 0) chunks.push(new Uint8Array(padBytes));
    offset += padBytes;
    chunks.push(t.bytes);
    const entry = (key: string, value: string) => create(StringStringEntryProtoSchema, { key, value });
    const tensor = create(TensorProtoSchema, {
      ...base,
      dataLocation: TensorProto_DataLocation.EXTERNAL,
      externalData: [
        entry("location", fileName),
        entry("offset", String(offset)),
        entry("length", String(t.bytes.byteLength)),
      ],
    });
    offset += t.bytes.byteLength;
    return tensor;
  });
  if (!useExternal && total > 2 ** 31 - 2 ** 24) {
    throw new SamBuilderError(
      `model weights are ${total} bytes: too large for one protobuf; use externalData`,
    );
  }
  const graph = create(GraphProtoSchema, {
    name: opts.graphName,
    node: g.nodes.map((n) =>
      create(NodeProtoSchema, {
        name: n.name,
        opType: n.opType,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
      }),
    ),
    initializer,
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
  });
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(g.opset) })],
    producerName: opts.producerName ?? "@data-engine/sam-core",
    producerVersion: opts.producerVersion ?? "0",
    graph,
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) =>
      create(StringStringEntryProtoSchema, { key, value }),
    ),
  });
  const bytes = toBinary(ModelProtoSchema, model);
  return useExternal
    ? { model: bytes, external: { fileName, chunks, byteLength: offset } }
    : { model: bytes };
}
