import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatModelInfo, inspectOnnx, ModelRoleError, OnnxFormatError, requireRole } from "../../src/inspect/index.ts";
import { addModel, contractDecoder, contractEncoder, externalize, quantizedMatMulModel } from "../runtime/onnx-fixtures.ts";

describe("inspectOnnx roles and geometry", () => {
  it("recognises the public decoder and reads sizes from the model", () => {
    const info = inspectOnnx(contractDecoder({ channels: 8, grid: 4, metadata: { note: "x" } }));
    expect(info.role).toBe("decoder");
    expect(info.inputs.map((i) => i.name)).toEqual(["image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size"]);
    expect(info.inputs[1]).toEqual({ name: "point_coords", dtype: "float32", shape: [1, "num_points", 2] });
    expect(info.sam.embeddingShape).toEqual([1, 8, 4, 4]);
    expect(info.sam.lowResSize).toEqual([16, 16]);
    expect(info.sam.inputSize).toBe(64);
    expect(info.sam.numMasks).toBe(4);
    expect(info.sam.extraMetrics).toBe(false);
    expect(info.sam.decoderOutputs).toEqual({ masks: "masks", iouPredictions: "iou_predictions", lowResMasks: "low_res_masks", stabilityScores: undefined, areas: undefined });
    expect(info.opset).toBe(17);
    expect(info.parameterCount).toBe(4 * 16 * 16 + 1); // base logits + the 1000 constant
    expect(info.quantized).toBe(false);
    expect(info.metadata).toEqual({ note: "x" });
    expect(info.externalDataFiles).toEqual([]);
  });

  it("sees single-mask and extra-metrics exports", () => {
    expect(inspectOnnx(contractDecoder({ numMasks: 1 })).sam.numMasks).toBe(1);
    const extra = inspectOnnx(contractDecoder({ extraMetrics: true })).sam;
    expect(extra.extraMetrics).toBe(true);
    expect(extra.decoderOutputs).toEqual({
      masks: "masks",
      iouPredictions: "iou_predictions",
      lowResMasks: "low_res_logits_auto",
      stabilityScores: "low_res_masks",
      areas: "areas_auto",
    });
  });

  it("recognises both encoder forms", () => {
    const n = inspectOnnx(contractEncoder({ inputSize: 128, channels: 4 }));
    expect(n.role).toBe("encoder");
    expect(n.sam).toMatchObject({ encoderInputForm: "normalized", inputSize: 128, embeddingShape: [1, 4, 8, 8], lowResSize: [32, 32] });
    expect(n.parameterCount).toBe(12);
    const r = inspectOnnx(contractEncoder({ form: "raw-hwc", inputSize: 64 }));
    expect(r.role).toBe("encoder");
    expect(r.sam.encoderInputForm).toBe("raw-hwc");
    expect(r.sam.inputSize).toBe(64); // 16 x the 4x4 embedding grid
    expect(r.inputs[0]!.shape).toEqual(["H", "W", 3]);
  });

  it("takes the input size from sam.config metadata when the graph does not fix it", () => {
    const r = inspectOnnx(contractEncoder({ form: "raw-hwc", metadata: { "sam.config": JSON.stringify({ imageSize: 60 }) } }));
    expect(r.sam.inputSize).toBe(60);
  });

  it("treats sam.role metadata for the throughput variant", () => {
    expect(inspectOnnx(contractDecoder({ metadata: { "sam.role": "decoder-throughput" } })).role).toBe("decoder-throughput");
  });

  it("flags quantized models and counts their 8-bit weights", async () => {
    const info = inspectOnnx(quantizedMatMulModel());
    expect(info.quantized).toBe(true);
    expect(info.parameterDtypes).toEqual({ uint8: 17, float32: 1 });
    expect(info.ops).toMatchObject({ DynamicQuantizeLinear: 1, MatMulInteger: 1 });
    expect(formatModelInfo(info)).toContain("quantized: yes");
    // The fixture is a real model: onnxruntime runs it (so the quantization ops are genuine).
    const { createNodeBackend } = await import("../../src/node.ts");
    const b = createNodeBackend();
    const s = await b.createSession(quantizedMatMulModel());
    const out = await s.run({ x: b.tensor("float32", Float32Array.of(1, 2, 3, 4), [1, 4]) });
    expect(out["y"]!.dims).toEqual([1, 4]);
    await s.release();
  });

  it("lists external data files", () => {
    const { model } = externalize(contractEncoder(), "enc.onnx.data");
    const info = inspectOnnx(model);
    expect(info.externalDataFiles).toEqual(["enc.onnx.data"]);
    expect(info.parameterCount).toBe(24);
    expect(formatModelInfo(info)).toContain("external data: enc.onnx.data");
  });

  it("formats a readable summary", () => {
    const text = formatModelInfo(inspectOnnx(contractDecoder()));
    expect(text).toMatch(/^role: decoder/);
    expect(text).toContain("point_coords: float32 [1,num_points,2]");
    expect(text).toContain("embedding [1,8,4,4]");
    expect(text).toContain("4 mask(s) per prompt");
  });
});

describe("inspect errors", () => {
  it("says clearly when bytes are not ONNX", () => {
    const png = new Uint8Array(readFileSync("/work/shared/samples/coins.png"));
    for (const bytes of [png, new TextEncoder().encode('{"hello": "world"}'), new Uint8Array(1000).fill(7)]) {
      expect(() => inspectOnnx(bytes, "x.onnx")).toThrow(OnnxFormatError);
      expect(() => inspectOnnx(bytes, "x.onnx")).toThrow(/x\.onnx is not an ONNX model/);
    }
    expect(() => inspectOnnx(new Uint8Array(0))).toThrow(/empty/);
  });

  it("names the role it found or the inputs that are missing", () => {
    const enc = inspectOnnx(contractEncoder());
    expect(() => requireRole(enc, "decoder")).toThrow(ModelRoleError);
    expect(() => requireRole(enc, "decoder")).toThrow(
      "expected a SAM decoder (inputs image_embeddings, point_coords, point_labels, mask_input, has_mask_input, orig_im_size) but this file looks like a SAM image encoder (input_image -> image_embeddings)",
    );
    const add = inspectOnnx(addModel());
    expect(add.role).toBe("unknown");
    expect(() => requireRole(add, "decoder")).toThrow(/missing inputs: image_embeddings, point_coords, point_labels, mask_input, has_mask_input, orig_im_size \(it has inputs: a, b; outputs: c\)/);
    expect(() => requireRole(add, "encoder")).toThrow(/missing inputs: input_image; missing output image_embeddings/);
    expect(() => requireRole(inspectOnnx(contractDecoder()), "decoder")).not.toThrow();
  });
});
