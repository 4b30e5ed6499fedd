import { TensorProto_DataType } from "onnx-buf";
import type { TensorProto, ValueInfoProto } from "onnx-buf";

/** A dimension: a fixed size, a symbolic name, or null when the model says nothing. */
export type Dim = number | string | null;

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: Dim[] | null;
}

const DTYPE_NAMES: Partial<Record<TensorProto_DataType, string>> = {
  [TensorProto_DataType.FLOAT]: "float32",
  [TensorProto_DataType.UINT8]: "uint8",
  [TensorProto_DataType.INT8]: "int8",
  [TensorProto_DataType.UINT16]: "uint16",
  [TensorProto_DataType.INT16]: "int16",
  [TensorProto_DataType.INT32]: "int32",
  [TensorProto_DataType.INT64]: "int64",
  [TensorProto_DataType.STRING]: "string",
  [TensorProto_DataType.BOOL]: "bool",
  [TensorProto_DataType.FLOAT16]: "float16",
  [TensorProto_DataType.DOUBLE]: "float64",
  [TensorProto_DataType.UINT32]: "uint32",
  [TensorProto_DataType.UINT64]: "uint64",
  [TensorProto_DataType.BFLOAT16]: "bfloat16",
};

export function dtypeName(t: TensorProto_DataType): string {
  return DTYPE_NAMES[t] ?? `type${t}`;
}

export function tensorInfo(v: ValueInfoProto): TensorInfo {
  if (v.type?.value.case !== "tensorType") return { name: v.name, dtype: v.type?.value.case ?? "unknown", shape: null };
  const t = v.type.value.value;
  const shape = t.shape
    ? t.shape.dim.map((d): Dim => {
        if (d.value.case === "dimValue") return Number(d.value.value);
        if (d.value.case === "dimParam") return d.value.value;
        return null;
      })
    : null;
  return { name: v.name, dtype: dtypeName(t.elemType), shape };
}

export function elementCount(t: TensorProto): number {
  return t.dims.reduce((a, d) => a * Number(d), 1);
}

export function formatShape(shape: Dim[] | null): string {
  if (!shape) return "?";
  return `[${shape.map((d) => (d === null ? "?" : String(d))).join(",")}]`;
}
