import { create } from "@bufbuild/protobuf";
import { NodeProtoSchema, TensorProtoSchema, TensorProto_DataType, type NodeProto, type TensorProto } from "onnx-buf";
import { SamImportError } from "../errors.ts";
import type { ExternalDataReader, ReadModel } from "../onnx/read.ts";
import { tensorToFloat32 } from "../onnx/read.ts";

/** Operators of quantized graphs this importer cannot turn back into float ones. */
const UNSUPPORTED = new Set([
  "QuantizeLinear",
  "ConvInteger",
  "QLinearMatMul",
  "QLinearConv",
  "MatMulNBits",
  "DynamicQuantizeMatMul",
  "MatMulIntegerToFloat",
  "QGemm",
  "QAttention",
  "QOrderedMatMul",
]);

export interface DequantizedModel {
  model: ReadModel;
  /** Whether any quantized pattern was rewritten. */
  quantized: boolean;
  /** Float initializers that were rebuilt from 8-bit data, with the quantization step (scale) of each. */
  steps: Map<string, number>;
}

const describe = (n: NodeProto): string => `${n.name || "(unnamed)"} (${n.opType})`;

function eightBit(t: TensorProto, ext?: ExternalDataReader): Int32Array {
  let raw = t.rawData;
  const n = t.dims.reduce((a, d) => a * Number(d), 1);
  if (t.externalData.length > 0) {
    const kv = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
    if (!ext || kv.location === undefined) {
      throw new SamImportError(`initializer ${t.name} keeps its data in external file "${kv.location}"; pass a reader`);
    }
    raw = ext(kv.location, Number(kv.offset ?? 0), Number(kv.length ?? n)) as typeof raw;
  }
  if (t.dataType === TensorProto_DataType.UINT8) {
    return raw.byteLength > 0 ? Int32Array.from(raw.subarray(0, n)) : Int32Array.from(t.int32Data);
  }
  if (t.dataType === TensorProto_DataType.INT8) {
    return raw.byteLength > 0
      ? Int32Array.from(new Int8Array(raw.buffer, raw.byteOffset, n))
      : Int32Array.from(t.int32Data);
  }
  throw new SamImportError(`initializer ${t.name} has data type ${t.dataType}, not 8-bit`);
}

/** (q - zp) * scale with a scalar or last-axis (per output column) scale and zero point. */
function dequantize(q: Int32Array, zp: Int32Array | null, scale: Float32Array, dims: number[], what: string): Float32Array<ArrayBuffer> {
  const cols = dims.at(-1) ?? 1;
  if (scale.length !== 1 && scale.length !== cols) {
    throw new SamImportError(`${what}: ${scale.length} scales do not fit a per-tensor or per-column layout of [${dims}]`);
  }
  if (zp && zp.length !== 1 && zp.length !== scale.length) {
    throw new SamImportError(`${what}: ${zp.length} zero points for ${scale.length} scales`);
  }
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const c = scale.length === 1 ? 0 : i % cols;
    out[i] = (q[i]! - (zp ? zp[zp.length === 1 ? 0 : c]! : 0)) * scale[c]!;
  }
  return out;
}

/**
 * Rewrites onnxruntime's dynamically quantized MatMuls back into float MatMuls so the importer sees
 * the graph torch.onnx wrote: `DynamicQuantizeLinear(x) -> MatMulInteger(xq, Wq, x_zp, W_zp) -> Cast ->
 * Mul(., x_scale * W_scale)` becomes `MatMul(x, W)` with W = (Wq - W_zp) * W_scale (a new float
 * initializer named `<Wq>/dequantized`), writing the final Mul's output so a following bias Add
 * still anchors the weight. `DequantizeLinear` of constants becomes a float initializer. Any other
 * quantized operator fails, naming the first such node.
 */
export function dequantizeModel(m: ReadModel, ext?: ExternalDataReader): DequantizedModel {
  const graph = m.proto.graph!;
  const init = new Map(m.initializers);
  const steps = new Map<string, number>();
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  for (const n of graph.node) {
    for (const o of n.output) producer.set(o, n);
    for (const i of n.input) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  }
  const dropped = new Set<NodeProto>();
  const replaced = new Map<NodeProto, NodeProto>();
  const floatConst = (name: string, what: string): Float32Array => {
    const t = init.get(name);
    if (!t) throw new SamImportError(`${what}: ${name} is not a constant initializer`);
    return tensorToFloat32(t, ext);
  };
  const only = (name: string, op: string, at: NodeProto): NodeProto => {
    const next = consumers.get(name) ?? [];
    if (next.length !== 1 || next[0]!.opType !== op) {
      throw new SamImportError(`unsupported quantized node ${describe(at)}: its output does not feed exactly one ${op}`);
    }
    return next[0]!;
  };
  let quantized = false;

  for (const n of graph.node) {
    if (UNSUPPORTED.has(n.opType)) {
      throw new SamImportError(
        `unsupported quantized node ${describe(n)}: only onnxruntime's dynamic MatMulInteger pattern and constant DequantizeLinear can be dequantized`,
      );
    }
    if (n.opType === "DequantizeLinear") {
      const [x, s, z] = n.input;
      const t = init.get(x ?? "");
      if (!t || !init.has(s ?? "")) {
        throw new SamImportError(`unsupported quantized node ${describe(n)}: DequantizeLinear of a non-constant input`);
      }
      const dims = t.dims.map(Number);
      const q = eightBit(t, ext);
      const zp = z ? eightBit(init.get(z)!, ext) : null;
      const scale = floatConst(s!, describe(n));
      const data = dequantize(q, zp, scale, dims, describe(n));
      init.set(n.output[0]!, floatTensor(n.output[0]!, dims, data));
      steps.set(n.output[0]!, Math.max(...scale));
      dropped.add(n);
      quantized = true;
      continue;
    }
    if (n.opType !== "MatMulInteger") continue;
    quantized = true;
    const [a, b, aZero, bZero] = n.input;
    const dqlOf = (name: string | undefined) => {
      const p = producer.get(name ?? "");
      return p && p.opType === "DynamicQuantizeLinear" && p.output[0] === name ? p : undefined;
    };
    const aq = dqlOf(a);
    if (!aq || (aZero && aZero !== aq.output[2])) {
      throw new SamImportError(`unsupported quantized node ${describe(n)}: its left input is not a DynamicQuantizeLinear output`);
    }
    const cast = only(n.output[0]!, "Cast", n);
    const outMul = only(cast.output[0]!, "Mul", cast);
    const scalesName = outMul.input.find((i) => i !== cast.output[0]);
    const scalesMul = producer.get(scalesName ?? "");
    const bq = dqlOf(b);
    let bFloat: string;
    if (bq) {
      // Both operands dynamic (activation x activation): the product of scales needs no constant.
      bFloat = bq.input[0]!;
    } else {
      const t = init.get(b ?? "");
      if (!t) throw new SamImportError(`unsupported quantized node ${describe(n)}: right input ${b} is neither constant nor dynamically quantized`);
      const wScale = scalesMul?.opType === "Mul" ? scalesMul.input.find((i) => i !== aq.output[1] && init.has(i)) : undefined;
      if (!wScale) {
        throw new SamImportError(`unsupported quantized node ${describe(n)}: cannot find the weight scale of ${b} (expected Mul(x_scale, W_scale))`);
      }
      const dims = t.dims.map(Number);
      const scale = floatConst(wScale, describe(n));
      const zp = bZero ? eightBit(init.get(bZero) ?? fail(n, `zero point ${bZero} is not constant`), ext) : null;
      bFloat = `${b}/dequantized`;
      init.set(bFloat, floatTensor(bFloat, dims, dequantize(eightBit(t, ext), zp, scale, dims, describe(n))));
      steps.set(bFloat, Math.max(...scale));
    }
    replaced.set(n, create(NodeProtoSchema, { name: `${n.name}/dequantized`, opType: "MatMul", input: [aq.input[0]!, bFloat], output: [outMul.output[0]!] }));
    dropped.add(cast).add(outMul);
    if (scalesMul && (consumers.get(scalesMul.output[0]!) ?? []).length === 1) dropped.add(scalesMul);
  }
  if (!quantized) return { model: m, quantized, steps };
  const node = graph.node
    .filter((n) => !dropped.has(n) && n.opType !== "DynamicQuantizeLinear")
    .map((n) => replaced.get(n) ?? n);
  return {
    model: { ...m, proto: { ...m.proto, graph: { ...graph, node } }, initializers: init },
    quantized,
    steps,
  };
}

function fail(n: NodeProto, why: string): never {
  throw new SamImportError(`unsupported quantized node ${describe(n)}: ${why}`);
}

function floatTensor(name: string, dims: number[], data: Float32Array<ArrayBuffer>): TensorProto {
  return create(TensorProtoSchema, {
    name,
    dims: dims.map((d) => BigInt(d)),
    dataType: TensorProto_DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}
