// Small hand-written ONNX graphs that follow the SAM ONNX contract with trivially predictable outputs,
// so runtime, inspect and predictor wiring can be checked exactly (the real SAM graphs come from the
// builder and are used for the end-to-end tests).
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
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
} from "onnx-buf";
import type { AttributeProto, NodeProto, TensorProto, ValueInfoProto } from "onnx-buf";

type Dim = number | string;
type Attr = number | number[] | string | { f: number };

function vi(name: string, dims: Dim[], elem = TensorProto_DataType.FLOAT): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: "tensorType",
        value: create(TypeProto_TensorSchema, {
          elemType: elem,
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value: typeof d === "number" ? { case: "dimValue", value: BigInt(d) } : { case: "dimParam", value: d },
              }),
            ),
          }),
        }),
      },
    }),
  });
}

function attr(name: string, v: Attr): AttributeProto {
  const T = AttributeProto_AttributeType;
  if (typeof v === "number") return create(AttributeProtoSchema, { name, type: T.INT, i: BigInt(v) });
  if (typeof v === "string") return create(AttributeProtoSchema, { name, type: T.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) return create(AttributeProtoSchema, { name, type: T.INTS, ints: v.map(BigInt) });
  return create(AttributeProtoSchema, { name, type: T.FLOAT, f: v.f });
}

class G {
  nodes: NodeProto[] = [];
  inits: TensorProto[] = [];
  private n = 0;
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outName?: string): string {
    const out = outName ?? `t${this.n++}`;
    this.nodes.push(
      create(NodeProtoSchema, { opType, input: inputs, output: [out], name: `${opType}_${this.n++}`, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) }),
    );
    return out;
  }
  f32(name: string, dims: number[], values: ArrayLike<number>): string {
    const data = Float32Array.from(values);
    this.inits.push(create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: TensorProto_DataType.FLOAT, rawData: new Uint8Array(data.buffer) }));
    return name;
  }
  i64(name: string, values: number[]): string {
    const data = BigInt64Array.from(values.map(BigInt));
    this.inits.push(create(TensorProtoSchema, { name, dims: [BigInt(values.length)], dataType: TensorProto_DataType.INT64, rawData: new Uint8Array(data.buffer) }));
    return name;
  }
  model(inputs: ValueInfoProto[], outputs: ValueInfoProto[], metadata: Record<string, string> = {}, opset = 17): Uint8Array {
    const graph = create(GraphProtoSchema, { name: "fixture", node: this.nodes, initializer: this.inits, input: inputs, output: outputs });
    return toBinary(
      ModelProtoSchema,
      create(ModelProtoSchema, {
        irVersion: 8n,
        producerName: "sam-core test fixture",
        opsetImport: [create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(opset) })],
        graph,
        metadataProps: Object.entries(metadata).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
      }),
    );
  }
}

export interface ContractDecoderOptions {
  channels?: number;
  grid?: number; // embedding h = w
  numMasks?: 4 | 1;
  extraMetrics?: boolean;
  metadata?: Record<string, string>;
}

/** Low-res logits the contract decoder adds per token: token k is positive where x + y > 4(k+1) * grid/4. */
export function contractBaseLogits(k: number, y: number, x: number, grid: number): number {
  return x + y - (k + 1) * grid;
}

/**
 * A decoder with the public SAM inputs whose outputs expose what it was fed:
 *   iou_predictions[0, :] = [sum of x coords, sum of y coords, sum of labels, sum(mask_input) + 1000 * has_mask_input]
 *   low_res_masks[0, k]   = contractBaseLogits(k, y, x) + mask_input + sum(image_embeddings)
 *   masks                 = low_res_masks resized (nearest) to orig_im_size
 * With numMasks 1 only token 0 is returned.
 */
export function contractDecoder(opts: ContractDecoderOptions = {}): Uint8Array {
  const C = opts.channels ?? 8;
  const h = opts.grid ?? 4;
  const L = 4 * h;
  const K = opts.numMasks ?? 4;
  const g = new G();
  const base: number[] = [];
  for (let k = 0; k < K; k++) for (let y = 0; y < L; y++) for (let x = 0; x < L; x++) base.push(contractBaseLogits(k, y, x, L / 4));
  g.f32("base", [1, K, L, L], base);
  const sumXY = g.op("ReduceSum", ["point_coords", g.i64("ax1", [1])], { keepdims: 0 }); // [1,2]
  const sumL = g.op("ReduceSum", ["point_labels", "ax1"], { keepdims: 1 }); // [1,1]
  const sumM = g.op("ReduceSum", ["mask_input"], { keepdims: 0 }); // scalar
  const hm = g.op("Mul", ["has_mask_input", g.f32("k1000", [1], [1000])]); // [1]
  const m4 = g.op("Reshape", [g.op("Add", [sumM, hm]), g.i64("s11", [1, 1])]);
  const metrics = g.op("Concat", [sumXY, sumL, m4], { axis: 1 }); // [1,4]
  const iouName = "iou_predictions";
  if (K === 4) g.op("Identity", [metrics], {}, iouName);
  else g.op("Slice", [metrics, g.i64("z", [0]), g.i64("one", [1]), g.i64("ax1b", [1])], {}, iouName);
  const embSum = g.op("ReduceSum", ["image_embeddings"], { keepdims: 0 });
  const lowName = opts.extraMetrics ? "low_res_logits_auto" : "low_res_masks";
  g.op("Add", [g.op("Add", ["base", "mask_input"]), embSum], {}, lowName);
  const size = g.op("Concat", [g.i64("nk", [1, K]), g.op("Cast", ["orig_im_size"], { to: TensorProto_DataType.INT64 })], { axis: 0 });
  g.op("Resize", [lowName, "", "", size], { mode: "nearest" }, "masks");
  const outputs = [vi("masks", [1, K, "H", "W"]), vi(iouName, [1, K])];
  if (opts.extraMetrics) {
    // Named as the official exporter leaves them: its third name lands on the stability scores.
    g.op("Identity", [iouName], {}, "low_res_masks");
    g.op("Identity", [iouName], {}, "areas_auto");
    outputs.push(vi("low_res_masks", [1, K]), vi("areas_auto", [1, K]), vi(lowName, [1, K, L, L]));
  } else {
    outputs.push(vi("low_res_masks", [1, K, L, L]));
  }
  return g.model(
    [
      vi("image_embeddings", [1, C, h, h]),
      vi("point_coords", [1, "num_points", 2]),
      vi("point_labels", [1, "num_points"]),
      vi("mask_input", [1, 1, L, L]),
      vi("has_mask_input", [1]),
      vi("orig_im_size", [2]),
    ],
    outputs,
    opts.metadata,
  );
}

export interface ContractEncoderOptions {
  channels?: number;
  inputSize?: number;
  form?: "normalized" | "raw-hwc";
  metadata?: Record<string, string>;
}

/**
 * An encoder with the SAM interface: embedding[c, i, j] = (c + 1) * mean of the normalised, padded
 * image over the 16x16 patch (i, j), summed over RGB. Raw-hwc form normalises and pads in-graph.
 */
export function contractEncoder(opts: ContractEncoderOptions = {}): Uint8Array {
  const C = opts.channels ?? 8;
  const S = opts.inputSize ?? 64;
  const g = new G();
  let chw = "input_image";
  if (opts.form === "raw-hwc") {
    const t = g.op("Unsqueeze", [g.op("Transpose", ["input_image"], { perm: [2, 0, 1] }), g.i64("ax0", [0])]);
    const mean = g.f32("mean", [1, 3, 1, 1], [123.675, 116.28, 103.53]);
    const std = g.f32("std", [1, 3, 1, 1], [58.395, 57.12, 57.375]);
    const norm = g.op("Div", [g.op("Sub", [t, mean]), std]);
    const hw = g.op("Slice", [g.op("Shape", ["input_image"]), g.i64("s0", [0]), g.i64("s2", [2])]);
    const padHW = g.op("Sub", [g.i64("SS", [S, S]), hw]);
    const pads = g.op("Concat", [g.i64("zeros6", [0, 0, 0, 0, 0, 0]), padHW], { axis: 0 });
    chw = g.op("Pad", [norm, pads]);
  }
  const pooled = g.op("AveragePool", [chw], { kernel_shape: [16, 16], strides: [16, 16] }); // [1,3,h,w]
  const w: number[] = [];
  for (let c = 0; c < C; c++) w.push(c + 1, c + 1, c + 1);
  g.op("Conv", [pooled, g.f32("w", [C, 3, 1, 1], w)], {}, "image_embeddings");
  const input = opts.form === "raw-hwc" ? vi("input_image", ["H", "W", 3]) : vi("input_image", [1, 3, S, S]);
  return g.model([input], [vi("image_embeddings", [1, C, S / 16, S / 16])], opts.metadata);
}

/** A valid ONNX model that is not SAM at all (Add of two inputs). */
export function addModel(): Uint8Array {
  const g = new G();
  g.op("Add", ["a", "b"], {}, "c");
  return g.model([vi("a", [1, "n"]), vi("b", [1, "n"])], [vi("c", [1, "n"])]);
}

/** A dynamically quantized MatMul (uint8 weights + scale/zero point), as onnxruntime's quantize_dynamic writes. */
export function quantizedMatMulModel(): Uint8Array {
  const g = new G();
  g.inits.push(
    create(TensorProtoSchema, { name: "w_q", dims: [4n, 4n], dataType: TensorProto_DataType.UINT8, rawData: new Uint8Array(16).fill(3) }),
    create(TensorProtoSchema, { name: "w_zp", dims: [], dataType: TensorProto_DataType.UINT8, rawData: new Uint8Array([128]) }),
  );
  g.f32("w_scale", [], [0.01]);
  const xq = g.op("DynamicQuantizeLinear", ["x"]);
  g.nodes[g.nodes.length - 1]!.output.push("x_scale", "x_zp");
  const acc = g.op("MatMulInteger", [xq, "w_q", "x_zp", "w_zp"]);
  g.op("Mul", [g.op("Cast", [acc], { to: TensorProto_DataType.FLOAT }), g.op("Mul", ["x_scale", "w_scale"])], {}, "y");
  return g.model([vi("x", [1, 4])], [vi("y", [1, 4])]);
}

/** Moves every float initializer of `model` into one external-data side file named `fileName`. */
export function externalize(model: Uint8Array, fileName: string): { model: Uint8Array; data: Uint8Array } {
  const m = fromBinary(ModelProtoSchema, model);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of m.graph!.initializer) {
    if (t.dataType !== TensorProto_DataType.FLOAT || t.rawData.length === 0) continue;
    const bytes = t.rawData;
    const entry = (key: string, value: string) => create(StringStringEntryProtoSchema, { key, value });
    t.externalData = [entry("location", fileName), entry("offset", String(offset)), entry("length", String(bytes.length))];
    t.dataLocation = TensorProto_DataLocation.EXTERNAL;
    t.rawData = new Uint8Array(0);
    chunks.push(bytes);
    offset += bytes.length;
  }
  const data = new Uint8Array(offset);
  let o = 0;
  for (const c of chunks) {
    data.set(c, o);
    o += c.length;
  }
  return { model: toBinary(ModelProtoSchema, m), data };
}
