// Decoders quantized as onnxruntime's quantize_dynamic writes them (uint8 MatMulInteger), as users bring
// the official quantized export: built, inspected, run through SamPredictor, and imported back to float.
import { toBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema } from "onnx-buf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildDecoderOnnx,
  decoderParamSpecs,
  importDecoderWeights,
  initDecoderWeights,
  readModel,
  samConfig,
  SamImportError,
} from "../../src/builder/index.ts";
import { dequantizeUint8, quantizeUint8 } from "../../src/builder/onnx/quantize.ts";
import { inspectOnnx } from "../../src/inspect/inspect.ts";
import { createNodeBackend } from "../../src/node.ts";
import { createWebBackend } from "../../src/web.ts";
import { SamPredictor } from "../../src/index.ts";
import type { Prediction, SamEmbedding } from "../../src/index.ts";
import { Rng } from "../../src/builder/random.ts";

const cfg = samConfig("tiny").decoder;
const weights = initDecoderWeights(cfg, 21);
const floatBytes = buildDecoderOnnx(cfg, weights).model;
const quantBytes = buildDecoderOnnx(cfg, weights, { quantize: "dynamic-uint8", torchStyleNames: true }).model;
const linearCount = decoderParamSpecs(cfg).filter((s) => s.role === "linear").length;

function embedding(): SamEmbedding {
  const rng = new Rng(5);
  const n = cfg.transformerDim * cfg.embeddingSize * cfg.embeddingSize;
  const data = Float32Array.from({ length: n }, () => rng.normal());
  return { data, shape: [1, cfg.transformerDim, cfg.embeddingSize, cfg.embeddingSize], originalSize: [200, 300], inputSize: cfg.inputSize, modelId: "" };
}

function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    inter += a[i]! & b[i]!;
    union += a[i]! | b[i]!;
  }
  return union === 0 ? 1 : inter / union;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// Tolerances: per-tensor uint8 weights err by <= range/510 (~0.2% of a layer's range); measured here
// (tiny model, these prompts): mask IoU >= 0.985, |IoU prediction diff| <= 1.1e-3 against predictions
// of magnitude ~0.01-0.1, low-res logit diff <= 4.2e-3 against |logits| ~0.25. The bounds below leave ~10x.
const SCORE_TOL = 0.01;

const PROMPTS = [
  { points: [[120, 80]] as [number, number][], labels: [1], multimask: true, returnLogits: true },
  { points: [[60, 150], [250, 40]] as [number, number][], labels: [1, 0], multimask: false, returnLogits: true },
  { box: [40, 30, 220, 170] as [number, number, number, number], multimask: false, returnLogits: true },
];

describe("quantize: per-tensor asymmetric uint8 as onnxruntime's quantize_dynamic", () => {
  it("keeps 0 exact, maps the range to 0..255 and rounds within half a step", () => {
    const w = Float32Array.from([-0.5, -0.1, 0, 0.25, 1.2]);
    const q = quantizeUint8(w);
    expect(q.scale).toBeCloseTo(1.7 / 255, 7);
    expect(q.zeroPoint).toBe(Math.round(0.5 / (1.7 / 255)));
    expect(q.q[0]).toBe(0);
    expect(q.q[4]).toBe(255);
    const back = dequantizeUint8(q);
    expect(back[2]).toBe(0);
    for (let i = 0; i < w.length; i++) expect(Math.abs(back[i]! - w[i]!)).toBeLessThanOrEqual(q.scale / 2 + 1e-7);
    // All-positive weights: the range still includes 0, so the zero point is 0.
    expect(quantizeUint8(Float32Array.from([0.2, 0.4])).zeroPoint).toBe(0);
  });
});

describe("quantized tiny decoder", () => {
  let fNode: SamPredictor;
  let qNode: SamPredictor;
  let qWeb: SamPredictor;
  beforeAll(async () => {
    [fNode, qNode, qWeb] = await Promise.all([
      SamPredictor.create({ backend: createNodeBackend(), decoder: floatBytes, sessionOptions: { threads: 1 } }),
      SamPredictor.create({ backend: createNodeBackend(), decoder: quantBytes, sessionOptions: { threads: 1 } }),
      SamPredictor.create({ backend: createWebBackend(), decoder: quantBytes }),
    ]);
    for (const p of [fNode, qNode, qWeb]) p.setEmbedding(embedding());
  });
  afterAll(async () => {
    await Promise.all([fNode?.release(), qNode?.release(), qWeb?.release()]);
  });

  it("keeps the public contract and is inspected as a quantized decoder", () => {
    const f = inspectOnnx(floatBytes);
    const q = inspectOnnx(quantBytes);
    expect(q.role).toBe("decoder");
    expect(q.quantized).toBe(true);
    expect(f.quantized).toBe(false);
    expect(q.inputs).toEqual(f.inputs);
    expect(q.outputs).toEqual(f.outputs);
    // Every Linear plus the Fourier gaussian matrix; the attention products (two activations) stay float.
    expect(q.ops["MatMulInteger"]).toBe(linearCount + 1);
    expect(q.ops["MatMul"]).toBe((f.ops["MatMul"] ?? 0) - linearCount - 1);
    expect(q.parameterDtypes["uint8"]).toBeGreaterThan(q.parameterDtypes["float32"]!);
  });

  it("runs on onnxruntime-node and -web alike and agrees with the float decoder", async () => {
    for (const prompt of PROMPTS) {
      const [f, qn, qw]: Prediction[] = await Promise.all([fNode.predict(prompt), qNode.predict(prompt), qWeb.predict(prompt)]);
      expect(qn.masks.length).toBe(f.masks.length);
      qn.lowResLogits.forEach((l, i) => expect(maxAbsDiff(l, qw.lowResLogits[i]!)).toBeLessThan(1e-3));
      qn.scores.forEach((s, i) => expect(Math.abs(s - qw.scores[i]!)).toBeLessThan(1e-4));
      for (let i = 0; i < f.masks.length; i++) {
        const fm = f.masks[i]!.data;
        const qm = qn.masks[i]!.data;
        expect(iou(fm, qm)).toBeGreaterThan(0.9);
        expect(Math.abs(f.scores[i]! - qn.scores[i]!)).toBeLessThan(SCORE_TOL);
      }
    }
  });
});

describe("importDecoderWeights on a quantized export", () => {
  const imported = importDecoderWeights(quantBytes);

  it("dequantizes every weight to within half a quantization step and recovers the gaussian from the dense PE", () => {
    expect(imported.quantized).toBe(true);
    expect(importDecoderWeights(floatBytes).quantized).toBe(false);
    expect(imported.config).toEqual(cfg);
    for (const spec of decoderParamSpecs(cfg)) {
      const want = weights.get(spec.name)!.data;
      const got = imported.weights.get(spec.name)!.data;
      expect(imported.weights.get(spec.name)!.shape).toEqual(spec.shape);
      // Independent bound: per-tensor uint8 over [min(w,0), max(w,0)] errs by at most (range / 255) / 2.
      const range = Math.max(0, ...want) - Math.min(0, ...want);
      const bound = spec.name.endsWith("gaussian_matrix") ? 1e-4 : spec.role === "linear" ? range / 510 + 1e-7 : 0;
      expect(maxAbsDiff(got, want), spec.name).toBeLessThanOrEqual(bound);
    }
    expect(imported.sources.get("prompt_encoder.pe_layer.positional_encoding_gaussian_matrix")).toMatch(/^dense-pe:/);
  });

  it("a float decoder rebuilt from it predicts as the quantized model does", async () => {
    const rebuilt = buildDecoderOnnx(imported.config, imported.weights).model;
    const [r, q] = await Promise.all([
      SamPredictor.create({ backend: createNodeBackend(), decoder: rebuilt, sessionOptions: { threads: 1 } }),
      SamPredictor.create({ backend: createNodeBackend(), decoder: quantBytes, sessionOptions: { threads: 1 } }),
    ]);
    r.setEmbedding(embedding());
    q.setEmbedding(embedding());
    for (const prompt of PROMPTS) {
      const [a, b] = await Promise.all([r.predict(prompt), q.predict(prompt)]);
      for (let i = 0; i < a.masks.length; i++) {
        expect(iou(a.masks[i]!.data, b.masks[i]!.data)).toBeGreaterThan(0.9);
        expect(Math.abs(a.scores[i]! - b.scores[i]!)).toBeLessThan(SCORE_TOL);
      }
    }
    await Promise.all([r.release(), q.release()]);
  });

  it("fails naming the first quantized node it cannot dequantize", () => {
    const m = readModel(quantBytes);
    const node = m.proto.graph!.node.find((n) => n.opType === "MatMulInteger")!;
    node.opType = "ConvInteger";
    expect(() => importDecoderWeights(toBinary(ModelProtoSchema, m.proto))).toThrow(SamImportError);
    expect(() => importDecoderWeights(toBinary(ModelProtoSchema, m.proto))).toThrow(
      new RegExp(`unsupported quantized node ${node.name.replace(/[/.]/g, "\\$&")} \\(ConvInteger\\)`),
    );
  });
});
