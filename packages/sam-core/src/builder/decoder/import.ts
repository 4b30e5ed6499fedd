import type { TensorProto } from "onnx-buf";
import { TensorProto_DataType } from "onnx-buf";
import { validateDecoderConfig, type DecoderConfig } from "../config.ts";
import { SamImportError } from "../errors.ts";
import { META } from "../metadata.ts";
import { readModel, tensorToFloat32, type ExternalDataReader, type ReadModel } from "../onnx/read.ts";
import { numel, transpose2d, type ParamSpec, type Tensor, type WeightMap } from "../weights.ts";
import { denseImagePe } from "./dense-pe.ts";
import { dequantizeModel } from "./dequantize.ts";
import { gaussianFromDensePe } from "./gaussian-from-pe.ts";
import { decoderParamSpecs } from "./params.ts";

export interface ImportedDecoder {
  config: DecoderConfig;
  weights: WeightMap;
  /** Metadata found in the file (empty for official exports). */
  metadata: Record<string, string>;
  /** How each parameter was found: by name, or by graph position (and from which initializer). */
  sources: Map<string, string>;
  /** The file was quantized (uint8 MatMul weights); its weights were dequantized to float. */
  quantized: boolean;
}

const FLOAT_TYPES: number[] = [
  TensorProto_DataType.FLOAT,
  TensorProto_DataType.FLOAT16,
  TensorProto_DataType.DOUBLE,
];
const DECODER_KEYS: (keyof DecoderConfig)[] = [
  "transformerDim",
  "transformerDepth",
  "numHeads",
  "mlpDim",
  "attentionDownsampleRate",
  "numMultimaskOutputs",
  "iouHeadDepth",
  "iouHeadHiddenDim",
  "maskInChans",
  "embeddingSize",
  "inputSize",
];

const dimsOf = (t: TensorProto): number[] => t.dims.map((d) => Number(d));
const squeezed = (s: readonly number[]): string => s.filter((d) => d !== 1).join(",");

function configFromMetadata(m: ReadModel): DecoderConfig | null {
  const raw = m.metadata[META.config];
  const role = m.metadata[META.role];
  if (raw === undefined || (role !== "decoder" && role !== "decoder-throughput")) return null;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new SamImportError(`metadata ${META.config} is not valid JSON`);
  }
  const c = {} as DecoderConfig;
  for (const k of DECODER_KEYS) {
    const v = parsed[k];
    if (typeof v !== "number") throw new SamImportError(`metadata ${META.config} lacks numeric "${k}"`);
    c[k] = v;
  }
  return c;
}

/** Heads are invisible in parameter shapes; our builder leaves them in a [0, 0, heads, headDim] reshape constant. */
function inferHeads(m: ReadModel, dims: number[]): number | null {
  for (const t of m.initializers.values()) {
    if (t.dataType !== TensorProto_DataType.INT64 || t.dims.length !== 1 || Number(t.dims[0]) !== 4) continue;
    const raw = new Uint8Array(t.rawData);
    if (raw.byteLength !== 32) continue;
    const v = Array.from(new BigInt64Array(raw.buffer), Number);
    if (v[0] === 0 && v[1] === 0 && v[2]! > 0 && v[3]! > 0 && dims.includes(v[2]! * v[3]!)) return v[2]!;
  }
  return null;
}

/** Config of an official export (no metadata): sizes from inputs and the parameters torch keeps named. */
function inferConfig(m: ReadModel): DecoderConfig {
  const img = m.inputs.find((i) => i.name === "image_embeddings");
  if (!img || img.dims.length !== 4 || typeof img.dims[1] !== "number" || typeof img.dims[2] !== "number") {
    throw new SamImportError(
      "cannot infer the decoder config: no static image_embeddings [1, C, h, w] input",
    );
  }
  const d = img.dims[1];
  const s = img.dims[2];
  const shapeOf = (name: string): number[] | null => {
    const t = m.initializers.get(name);
    return t ? dimsOf(t) : null;
  };
  const need = (name: string): number[] => {
    const sh = shapeOf(name);
    if (!sh) throw new SamImportError(`cannot infer the decoder config: initializer ${name} is missing`);
    return sh;
  };
  const countIndexed = (re: RegExp) => {
    const seen = new Set<string>();
    for (const n of m.initializers.keys()) {
      const hit = re.exec(n);
      if (hit) seen.add(hit[1]!);
    }
    return seen.size;
  };
  const depth = countIndexed(/^mask_decoder\.transformer\.layers\.(\d+)\./);
  const iouDepth = countIndexed(/^mask_decoder\.iou_prediction_head\.layers\.(\d+)\./);
  const tokens = need("mask_decoder.iou_prediction_head.layers." + (iouDepth - 1) + ".bias")[0]!;
  const cross = need("mask_decoder.transformer.layers.0.cross_attn_token_to_image.q_proj.bias")[0]!;
  return {
    transformerDim: d,
    transformerDepth: depth,
    numHeads: inferHeads(m, [d, cross]) ?? 8,
    mlpDim: need("mask_decoder.transformer.layers.0.mlp.lin1.bias")[0]!,
    attentionDownsampleRate: d / cross,
    numMultimaskOutputs: tokens - 1,
    iouHeadDepth: iouDepth,
    iouHeadHiddenDim: need("mask_decoder.iou_prediction_head.layers.0.bias")[0]!,
    maskInChans: need("prompt_encoder.mask_downscaling.3.bias")[0]!,
    embeddingSize: s,
    // The official export divides point coordinates by the encoder's input size, 16 x the embedding side.
    inputSize: 16 * s,
  };
}

interface Candidate {
  t: TensorProto;
  /** The first output of the node that consumes it. */
  output: string;
  /** The initializer feeds a MatMul as its right operand: stored as [in, out]. */
  matmulRhs: boolean;
}

/** How a stored initializer maps onto the reference layout of `spec`, if it can. */
function layoutFor(spec: ParamSpec, c: Candidate): "direct" | "transpose" | null {
  const shape = dimsOf(c.t);
  if (numel(shape) !== numel(spec.shape)) return null;
  if (spec.role === "linear" && c.matmulRhs) {
    const [out, inp] = spec.shape as [number, number];
    return shape.length === 2 && shape[0] === inp && shape[1] === out ? "transpose" : null;
  }
  return squeezed(shape) === squeezed(spec.shape) ? "direct" : null;
}

/** Reshapes/transposes a stored initializer into the reference layout of `spec`, or returns null. */
function fitToSpec(spec: ParamSpec, c: Candidate, ext?: ExternalDataReader): Tensor | null {
  const how = layoutFor(spec, c);
  if (!how) return null;
  const values = tensorToFloat32(c.t, ext);
  const [out, inp] = spec.shape as [number, number];
  return { shape: [...spec.shape], data: how === "transpose" ? transpose2d(values, inp, out) : values };
}

/**
 * Reads a public decoder export (official torch.onnx output, or one of ours) and maps every parameter
 * back to segment-anything's reference names and PyTorch layout. Parameters whose names survived the
 * export are taken by name; the rest (torch's `onnx::MatMul_<n>` transposed Linear weights, folded
 * reshapes) are matched in graph order against the forward-order parameter list by shape.
 */
export function importDecoderWeights(
  bytes: Uint8Array,
  opts: { externalData?: ExternalDataReader } = {},
): ImportedDecoder {
  const dq = dequantizeModel(readModel(bytes), opts.externalData);
  const m = dq.model;
  const config = configFromMetadata(m) ?? inferConfig(m);
  try {
    validateDecoderConfig(config);
  } catch (e) {
    throw new SamImportError(`inferred decoder config is invalid: ${(e as Error).message}`);
  }
  const specs = decoderParamSpecs(config);
  const weights: WeightMap = new Map();
  const sources = new Map<string, string>();
  const used = new Set<string>();

  for (const spec of specs) {
    const t = m.initializers.get(spec.name);
    if (!t) continue;
    const fitted = fitToSpec(spec, { t, output: "", matmulRhs: false }, opts.externalData);
    if (!fitted) {
      throw new SamImportError(`initializer ${spec.name} has shape [${dimsOf(t)}], expected [${spec.shape}]`);
    }
    weights.set(spec.name, fitted);
    sources.set(spec.name, "name");
    used.add(spec.name);
  }

  const s = config.embeddingSize;
  const d = config.transformerDim;
  const isDensePe = (t: TensorProto) =>
    squeezed(dimsOf(t)) === squeezed([1, d, s, s]) && dimsOf(t).length === 4;
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  for (const node of m.proto.graph!.node) {
    node.input.forEach((name, idx) => {
      const t = m.initializers.get(name);
      if (!t || used.has(name) || seen.has(name) || !FLOAT_TYPES.includes(t.dataType)) return;
      seen.add(name);
      if (numel(dimsOf(t)) <= 1 || isDensePe(t)) return;
      candidates.push({ t, output: node.output[0] ?? "", matmulRhs: node.opType === "MatMul" && idx === 1 });
    });
  }

  // Torch keeps Linear biases named, so `MatMul(x, W) -> Add(., <prefix>.bias)` anchors each weight.
  const consumers = new Map<string, { opType: string; input: string[] }[]>();
  for (const node of m.proto.graph!.node) {
    for (const name of node.input) consumers.set(name, [...(consumers.get(name) ?? []), node]);
  }
  const specByName = new Map(specs.map((sp) => [sp.name, sp]));
  const place = (spec: ParamSpec, cand: Candidate, how: string): boolean => {
    const fitted = fitToSpec(spec, cand, opts.externalData);
    if (!fitted) return false;
    weights.set(spec.name, fitted);
    sources.set(spec.name, `${how}:${cand.t.name}`);
    return true;
  };
  const unanchored: Candidate[] = [];
  for (const cand of candidates) {
    if (!cand.matmulRhs) continue;
    const bias = (consumers.get(cand.output) ?? [])
      .filter((n) => n.opType === "Add")
      .flatMap((n) => n.input)
      .find((n) => n.endsWith(".bias") && specByName.has(n.slice(0, -5) + ".weight"));
    const spec = bias ? specByName.get(bias.slice(0, -5) + ".weight")! : undefined;
    if (!spec || weights.has(spec.name) || !place(spec, cand, "bias-anchor")) unanchored.push(cand);
  }

  const pending = specs.filter((sp) => !weights.has(sp.name));
  const fail = (spec: ParamSpec, found?: Candidate): never => {
    const hint = spec.role === "linear" ? ` (stored for MatMul as [${[...spec.shape].reverse()}])` : "";
    const saw = found
      ? `; the next candidate in graph order is ${found.t.name} [${dimsOf(found.t)}]`
      : "; no candidate left";
    throw new SamImportError(`cannot match parameter ${spec.name} [${spec.shape}]${hint}${saw}`);
  };
  const rest = pending.filter((sp) => sp.role !== "linear");
  // Linear weights: the remaining MatMul right-hand sides, strictly one-to-one in graph order. A MatMul
  // operand that is no Linear weight (the Fourier gaussian matrix) joins the other initializers.
  const rerouted: Candidate[] = [];
  let li = 0;
  for (const spec of pending.filter((sp) => sp.role === "linear")) {
    let cand = unanchored[li++];
    while (
      cand &&
      !layoutFor(spec, cand) &&
      rest.some((sp) => squeezed(sp.shape) === squeezed(dimsOf(cand!.t)))
    ) {
      rerouted.push(cand);
      cand = unanchored[li++];
    }
    if (!cand || !place(spec, cand, "position")) fail(spec, cand);
  }
  rerouted.push(...unanchored.slice(li));
  // Everything else: other initializers in graph order; constants that fit no parameter are skipped.
  const others = candidates.filter((cd) => !cd.matmulRhs || rerouted.includes(cd));
  let ci = 0;
  for (let pi = 0; pi < rest.length; pi++) {
    const spec = rest[pi]!;
    let placed = false;
    while (ci < others.length && !placed) {
      const cand = others[ci++]!;
      if (place(spec, cand, "position")) {
        placed = true;
        break;
      }
      // torch.onnx folds cat([iou_token, mask_tokens]) into one [1 + K, C] constant.
      const next = rest[pi + 1];
      const sh = dimsOf(cand.t);
      if (spec.name === "mask_decoder.iou_token.weight" && next?.name === "mask_decoder.mask_tokens.weight") {
        if (sh.length === 2 && sh[0] === 1 + next.shape[0]! && sh[1] === d) {
          const all = tensorToFloat32(cand.t, opts.externalData);
          weights.set(spec.name, { shape: [1, d], data: all.slice(0, d) });
          weights.set(next.name, { shape: [...next.shape], data: all.slice(d) });
          sources.set(spec.name, `position:${cand.t.name}[0]`);
          sources.set(next.name, `position:${cand.t.name}[1:]`);
          pi++;
          placed = true;
        }
      }
    }
    if (!placed) fail(spec);
  }

  // A constant dense PE must be the one the gaussian matrix implies, or the rebuilt model would differ.
  const gaussianName = "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix";
  let gaussian = weights.get(gaussianName)!.data;
  const gaussianFrom = sources.get(gaussianName)?.replace(/^[^:]*:/, "") ?? gaussianName;
  for (const t of m.initializers.values()) {
    if (!FLOAT_TYPES.includes(t.dataType) || !isDensePe(t)) continue;
    const have = tensorToFloat32(t, opts.externalData);
    if (dq.steps.has(gaussianFrom)) {
      // A quantized gaussian is off by up to half a step; the float dense PE still holds it exactly.
      gaussian = gaussianFromDensePe(config, have, gaussian);
      weights.set(gaussianName, { shape: [2, d / 2], data: gaussian });
      sources.set(gaussianName, `dense-pe:${t.name}`);
    }
    const want = denseImagePe(config, gaussian);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(have[i]! - want[i]!));
    if (worst > 1e-3) {
      throw new SamImportError(
        `dense positional encoding ${t.name} differs from the one the gaussian matrix implies (max ${worst})`,
      );
    }
  }
  return { config, weights, metadata: m.metadata, sources, quantized: dq.quantized };
}
