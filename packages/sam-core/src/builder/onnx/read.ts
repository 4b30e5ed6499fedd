import { fromBinary } from "@bufbuild/protobuf";
import {
  ModelProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  type ModelProto,
  type TensorProto,
} from "onnx-buf";
import { SamImportError } from "../errors.ts";
import type { Dim } from "./graph.ts";

export interface ReadTensor {
  name: string;
  dims: number[];
  dataType: number;
}

export interface ReadModel {
  proto: ModelProto;
  opset: number;
  metadata: Record<string, string>;
  inputs: { name: string; dims: Dim[] }[];
  outputs: { name: string; dims: Dim[] }[];
  initializers: Map<string, TensorProto>;
}

/** Resolves an external-data location (relative to the .onnx file) to its bytes. */
export type ExternalDataReader = (location: string, offset: number, length: number) => Uint8Array;

export function readModel(bytes: Uint8Array): ReadModel {
  let proto: ModelProto;
  try {
    proto = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    throw new SamImportError(`not an ONNX model: ${(e as Error).message}`);
  }
  const graph = proto.graph;
  if (!graph) throw new SamImportError("ONNX model has no graph");
  const opset = Number(
    proto.opsetImport.find((o) => o.domain === "" || o.domain === "ai.onnx")?.version ?? 0,
  );
  const dimsOf = (vi: (typeof graph.input)[number]) => {
    const t = vi.type?.value.case === "tensorType" ? vi.type.value.value : undefined;
    return (t?.shape?.dim ?? []).map((d): Dim =>
      d.value.case === "dimValue" ? Number(d.value.value) : d.value.case === "dimParam" ? d.value.value : "?",
    );
  };
  const initializers = new Map(graph.initializer.map((t) => [t.name, t]));
  return {
    proto,
    opset,
    metadata: Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value])),
    inputs: graph.input
      .filter((i) => !initializers.has(i.name))
      .map((i) => ({ name: i.name, dims: dimsOf(i) })),
    outputs: graph.output.map((o) => ({ name: o.name, dims: dimsOf(o) })),
    initializers,
  };
}

/** An initializer's values as float32 (FLOAT raw/float_data, FLOAT16 and DOUBLE widened/narrowed). */
export function tensorToFloat32(t: TensorProto, external?: ExternalDataReader): Float32Array<ArrayBuffer> {
  const n = t.dims.reduce((a, d) => a * Number(d), 1);
  let raw = t.rawData;
  if (t.dataLocation === TensorProto_DataLocation.EXTERNAL) {
    const kv = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
    if (!external || kv.location === undefined) {
      throw new SamImportError(
        `initializer ${t.name} keeps its data in external file "${kv.location}"; pass a reader`,
      );
    }
    raw = external(
      kv.location,
      Number(kv.offset ?? 0),
      Number(kv.length ?? n * 4),
    ) as Uint8Array<ArrayBuffer>;
  }
  if (t.dataType === TensorProto_DataType.FLOAT) {
    if (raw.byteLength > 0) {
      const copy = new Uint8Array(raw); // aligns the data; protobuf byte fields can start anywhere
      return new Float32Array(copy.buffer, 0, n);
    }
    return Float32Array.from(t.floatData);
  }
  if (t.dataType === TensorProto_DataType.DOUBLE) {
    return raw.byteLength > 0
      ? Float32Array.from(new Float64Array(new Uint8Array(raw).buffer, 0, n))
      : Float32Array.from(t.doubleData);
  }
  if (t.dataType === TensorProto_DataType.FLOAT16) {
    const view =
      raw.byteLength > 0 ? new Uint16Array(new Uint8Array(raw).buffer, 0, n) : Uint16Array.from(t.int32Data);
    return Float32Array.from(view, halfToFloat);
  }
  throw new SamImportError(`initializer ${t.name} has data type ${t.dataType}, not a float type`);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
