import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { samConfig } from "../../src/builder/config.ts";
import { decoderParamSpecs } from "../../src/builder/decoder/params.ts";
import { buildEncoderOnnx } from "../../src/builder/encoder/graph.ts";
import { initEncoderWeights } from "../../src/builder/encoder/init.ts";
import { encoderParamSpecs } from "../../src/builder/encoder/params.ts";
import { PIXEL_MEAN, PIXEL_STD, preprocessHwc, resizedSize } from "../../src/builder/encoder/preprocess.ts";
import { META } from "../../src/builder/metadata.ts";
import { externalReaderFor, writeSerializedModel } from "../../src/builder/node.ts";
import { readModel, tensorToFloat32 } from "../../src/builder/onnx/read.ts";
import { Rng } from "../../src/builder/random.ts";
import { jitterWeights, numel } from "../../src/builder/weights.ts";
import { data, f32, maxAbsDiff, randn, run } from "./helpers.ts";

const c = samConfig("tiny").encoder;
const S = c.imgSize;
const weights = jitterWeights(initEncoderWeights(c, 3), 4, 0.05);
const normalized = buildEncoderOnnx(c, { weights }).model;
const dir = mkdtempSync(join(tmpdir(), "sam-builder-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("buildEncoderOnnx", () => {
  it("maps input_image to image_embeddings [1, outChans, S/16, S/16] in both input forms", async () => {
    const m = readModel(normalized);
    expect(m.inputs).toEqual([{ name: "input_image", dims: [1, 3, S, S] }]);
    expect(m.outputs).toEqual([{ name: "image_embeddings", dims: [1, c.outChans, S / 16, S / 16] }]);
    expect(m.metadata[META.role]).toBe("encoder");
    expect(JSON.parse(m.metadata[META.config]!)).toMatchObject({ ...c, inputForm: "normalized" });
    const raw = readModel(buildEncoderOnnx(c, { weights, inputForm: "raw-hwc" }).model);
    expect(raw.inputs).toEqual([{ name: "input_image", dims: ["height", "width", 3] }]);
    const out = await run(normalized, { input_image: f32(randn(3 * S * S, 1), [1, 3, S, S]) });
    expect(out.image_embeddings!.dims).toEqual([1, c.outChans, S / 16, S / 16]);
  });

  it("raw-hwc preprocessing in the graph equals preprocessHwc + the normalized model", async () => {
    const raw = buildEncoderOnnx(c, { weights, inputForm: "raw-hwc" }).model;
    for (const [h, w] of [
      [90, 60],
      [300, 411],
    ] as const) {
      const r = new Rng(h * w);
      const rgb = Float32Array.from({ length: h * w * 3 }, () => Math.floor(r.next() * 256));
      const a = await run(raw, { input_image: f32(rgb, [h, w, 3]) });
      const b = await run(normalized, { input_image: f32(preprocessHwc(rgb, h, w, S), [1, 3, S, S]) });
      expect(maxAbsDiff(data(a.image_embeddings), data(b.image_embeddings)), `${h}x${w}`).toBeLessThan(1e-4);
    }
  });

  it("preprocessHwc resizes the longest side with SAM's rounding, normalises and zero-pads", () => {
    expect(resizedSize(300, 411, 1024)).toEqual([Math.floor(300 * (1024 / 411) + 0.5), 1024]);
    expect(resizedSize(1500, 1000, 1024)).toEqual([1024, 683]);
    const [h, w] = [40, 20];
    const rgb = new Float32Array(h * w * 3);
    for (let i = 0; i < h * w; i++) rgb.set([200, 100, 50], i * 3);
    const x = preprocessHwc(rgb, h, w, S);
    const [nh, nw] = resizedSize(h, w, S);
    expect([nh, nw]).toEqual([S, S / 2]);
    for (let ch = 0; ch < 3; ch++) {
      const inside = x[(ch * S + 17) * S + (nw - 1)]!;
      expect(inside).toBeCloseTo(([200, 100, 50][ch]! - PIXEL_MEAN[ch]!) / PIXEL_STD[ch]!, 5);
      expect(x[(ch * S + 17) * S + nw]).toBe(0);
    }
    expect(() => preprocessHwc(new Float32Array(5), 2, 2, S)).toThrow(/expected 2x2x3/);
  });

  it("agrees across opsets 16 and 18 (LayerNormalization vs its decomposition)", async () => {
    const input = { input_image: f32(randn(3 * S * S, 2), [1, 3, S, S]) };
    const a = await run(normalized, input);
    const b = await run(buildEncoderOnnx(c, { weights, opset: 16 }).model, input);
    const d = await run(buildEncoderOnnx(c, { weights, opset: 18 }).model, input);
    expect(maxAbsDiff(data(a.image_embeddings), data(b.image_embeddings))).toBeLessThan(1e-4);
    expect(maxAbsDiff(data(a.image_embeddings), data(d.image_embeddings))).toBeLessThan(1e-5);
  });

  it("writes weights to an external data file that onnxruntime and the reader load", async () => {
    const m = buildEncoderOnnx(c, { weights, externalData: true, externalDataFile: "tiny.onnx.data" });
    expect(m.external?.fileName).toBe("tiny.onnx.data");
    const path = join(dir, "tiny.onnx");
    const sizes = writeSerializedModel(path, m);
    expect(sizes.modelBytes).toBeLessThan(200_000);
    expect(readFileSync(join(dir, "tiny.onnx.data")).byteLength).toBe(sizes.dataBytes);
    const input = { input_image: f32(randn(3 * S * S, 3), [1, 3, S, S]) };
    const sess = await ort.InferenceSession.create(path);
    const a = await sess.run(input);
    const b = await run(normalized, input);
    expect(maxAbsDiff(data(a.image_embeddings), data(b.image_embeddings))).toBe(0);
    const read = readModel(readFileSync(path));
    const name = "image_encoder.blocks.2.mlp.lin1.weight";
    const back = tensorToFloat32(read.initializers.get(name)!, externalReaderFor(path));
    expect(maxAbsDiff(back, weights.get(name)!.data)).toBe(0);
    expect(() => tensorToFloat32(read.initializers.get(name)!)).toThrow(/external file "tiny.onnx.data"/);
  });

  it("has the published parameter counts for the real configs", () => {
    const count = (n: "vit_l" | "vit_h") =>
      encoderParamSpecs(samConfig(n).encoder).reduce((a, p) => a + numel(p.shape), 0);
    // Segment Anything paper: image encoders of 308M (ViT-L) and 636M (ViT-H) parameters.
    expect(Math.abs(count("vit_l") - 308e6)).toBeLessThan(1e6);
    expect(Math.abs(count("vit_h") - 636e6)).toBeLessThan(1.5e6);
    // ...and a mask decoder (with prompt encoder) of about 4M.
    const dec = decoderParamSpecs(samConfig("vit_b").decoder).reduce((a, p) => a + numel(p.shape), 0);
    expect(Math.abs(dec - 4e6)).toBeLessThan(0.1e6);
    expect(() => buildEncoderOnnx({ ...c, globalAttnIndexes: [9] })).toThrow(/globalAttnIndexes entry 9/);
  });
});
