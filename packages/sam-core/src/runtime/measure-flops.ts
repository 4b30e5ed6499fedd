import { create, toBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema, TensorProto_DataType, TypeProto_TensorSchema, TypeProtoSchema, ValueInfoProtoSchema } from "onnx-buf";
import type { NodeProto } from "onnx-buf";
import { parseOnnx } from "../inspect/parse.ts";
import type { OrtBackend, RtTensor, SessionOptions } from "./backend.ts";

/** Multiply-accumulate ops counted as 2 FLOPs each; elementwise ops, softmax, norms and resizes are not counted. */
export const FLOP_OPS = ["MatMul", "Gemm", "Conv", "ConvTranspose", "Einsum"] as const;

export interface FlopReport {
  total: number;
  byOp: Record<string, number>;
  nodes: number;
}

const prod = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

/** FLOPs of one node from its input/output shapes (the rules are the usual 2 x MACs). */
export function nodeFlops(node: Pick<NodeProto, "opType" | "attribute">, ins: (readonly number[] | undefined)[], out: readonly number[]): number {
  switch (node.opType) {
    case "MatMul": {
      const a = ins[0]!;
      return 2 * prod(out) * a[a.length - 1]!;
    }
    case "Gemm": {
      const a = ins[0]!;
      const transA = Number(node.attribute.find((x) => x.name === "transA")?.i ?? 0n);
      return 2 * prod(out) * (transA ? a[0]! : a[1]!);
    }
    case "Conv": {
      const w = ins[1]!; // [Co, Ci/g, k...]
      return 2 * prod(out) * prod(w.slice(1));
    }
    case "ConvTranspose": {
      const x = ins[0]!;
      const w = ins[1]!; // [Ci, Co/g, k...]
      return 2 * prod(x) * prod(w.slice(1));
    }
    case "Einsum": {
      const eq = new TextDecoder().decode(node.attribute.find((x) => x.name === "equation")?.s ?? new Uint8Array());
      const terms = eq.replace(/\s/g, "").split("->")[0]!.split(",");
      const size = new Map<string, number>();
      terms.forEach((t, i) => [...t].forEach((ch, j) => size.set(ch, ins[i]![j]!)));
      return 2 * prod([...size.values()]);
    }
    default:
      return 0;
  }
}

/**
 * Counts FLOPs of a model by running it once with every input/output of the counted ops exposed as a
 * graph output, so the runtime reports the real shapes (no shape inference needed). Keep it to models
 * whose intermediates fit in memory (decoders, small encoders).
 */
export async function measureFlops(
  backend: OrtBackend,
  model: Uint8Array,
  feeds: Record<string, RtTensor>,
  options: SessionOptions = {},
): Promise<FlopReport> {
  const m = parseOnnx(model);
  const graph = m.graph!;
  const known = new Map<string, number[]>(graph.initializer.map((t) => [t.name, t.dims.map(Number)]));
  for (const [name, t] of Object.entries(feeds)) known.set(name, [...t.dims]);
  const counted = graph.node.filter((n) => (FLOP_OPS as readonly string[]).includes(n.opType));
  const existing = new Set(graph.output.map((o) => o.name));
  const expose = new Set<string>();
  for (const n of counted) for (const v of [...n.input, ...n.output]) if (v && !known.has(v) && !existing.has(v)) expose.add(v);
  for (const name of expose) {
    graph.output.push(
      create(ValueInfoProtoSchema, {
        name,
        type: create(TypeProtoSchema, { value: { case: "tensorType", value: create(TypeProto_TensorSchema, { elemType: TensorProto_DataType.FLOAT }) } }),
      }),
    );
  }
  // No graph optimisation: fusions could rename or drop the exposed values.
  const session = await backend.createSession(toBinary(ModelProtoSchema, m), { ...options, graphOptimizationLevel: "disabled" });
  try {
    const out = await session.run(feeds);
    for (const [name, t] of Object.entries(out)) known.set(name, [...t.dims]);
  } finally {
    await session.release();
  }
  const byOp: Record<string, number> = {};
  let total = 0;
  for (const n of counted) {
    const f = nodeFlops(n, n.input.map((i) => known.get(i)), known.get(n.output[0]!) ?? []);
    byOp[n.opType] = (byOp[n.opType] ?? 0) + f;
    total += f;
  }
  return { total, byOp, nodes: counted.length };
}
