import { describe, expect, it } from "vitest";
import { samConfig } from "../../src/builder/config.ts";
import { buildDecoderOnnx } from "../../src/builder/decoder/graph.ts";
import { importDecoderWeights } from "../../src/builder/decoder/import.ts";
import { initDecoderWeights } from "../../src/builder/decoder/init.ts";
import { SamImportError } from "../../src/builder/errors.ts";
import { readModel } from "../../src/builder/onnx/read.ts";
import { jitterWeights } from "../../src/builder/weights.ts";
import { data, maxAbsDiff, publicFeeds, randn, run, throughputFeeds, type Prompt } from "./helpers.ts";

const c = samConfig("tiny").decoder;
const weights = jitterWeights(initDecoderWeights(c, 7), 8);
const emb = randn(c.transformerDim * c.embeddingSize ** 2, 3);
const prompt: Prompt = {
  coords: [
    [40, 100],
    [200, 30],
    [0, 0],
  ],
  labels: [1, 0, -1],
  mask: randn(16 * c.embeddingSize ** 2, 5, 2),
};

describe("importDecoderWeights", () => {
  const torchStyle = buildDecoderOnnx(c, weights, { torchStyleNames: true }).model;

  it("stores Linear weights transposed under onnx::MatMul names in torch style", () => {
    const m = readModel(torchStyle);
    const names = [...m.initializers.keys()];
    expect(names.some((n) => n.startsWith("onnx::MatMul_"))).toBe(true);
    expect(names).not.toContain("mask_decoder.transformer.layers.0.self_attn.q_proj.weight");
    expect(names).toContain("mask_decoder.transformer.layers.0.self_attn.q_proj.bias");
    const lin1 = weights.get("mask_decoder.transformer.layers.0.mlp.lin1.weight")!;
    expect(lin1.shape).toEqual([c.mlpDim, c.transformerDim]);
    const transposed = [...m.initializers.values()].filter(
      (t) =>
        t.name.startsWith("onnx::MatMul_") && t.dims.map(Number).join() === `${c.transformerDim},${c.mlpDim}`,
    );
    expect(transposed.length).toBe(c.transformerDepth);
  });

  it("recovers every parameter exactly, with the config, from a torch-style export", () => {
    const stripped = importDecoderWeights(torchStyle);
    expect(stripped.config).toEqual(c);
    expect([...stripped.weights.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [name, t] of weights) {
      const got = stripped.weights.get(name)!;
      expect(got.shape, name).toEqual(t.shape);
      expect(maxAbsDiff(got.data, t.data), name).toBe(0);
    }
    expect(stripped.sources.get("mask_decoder.transformer.layers.1.mlp.lin2.weight")).toMatch(
      /^bias-anchor:onnx::MatMul_/,
    );
  });

  it("rebuilds public and throughput models that reproduce the torch-style export", async () => {
    const { weights: w2, config } = importDecoderWeights(torchStyle);
    const rebuilt = buildDecoderOnnx(config, w2).model;
    const throughput = buildDecoderOnnx(config, w2, { variant: "throughput" }).model;
    const feeds = publicFeeds(c, emb, prompt, [300, 200]);
    const a = await run(torchStyle, feeds);
    const b = await run(rebuilt, feeds);
    for (const k of ["masks", "iou_predictions", "low_res_masks"])
      expect(maxAbsDiff(data(a[k]), data(b[k]))).toBeLessThan(1e-5);
    const t = await run(throughput, throughputFeeds(c, emb, [prompt]));
    expect(maxAbsDiff(data(t.iou_predictions), data(a.iou_predictions))).toBeLessThan(1e-5);
    expect(maxAbsDiff(data(t.low_res_masks), data(a.low_res_masks))).toBeLessThan(1e-5);
  });

  it("reads the config without metadata by inferring it from shapes", () => {
    const m = buildDecoderOnnx(c, weights, { torchStyleNames: true }).model;
    const proto = readModel(m).proto;
    proto.metadataProps = [];
    return import("@bufbuild/protobuf").then(({ toBinary }) =>
      import("onnx-buf").then(({ ModelProtoSchema }) => {
        const bare = toBinary(ModelProtoSchema, proto);
        expect(readModel(bare).metadata).toEqual({});
        expect(importDecoderWeights(bare).config).toEqual(c);
      }),
    );
  });

  it("places weights by graph order alone when no parameter keeps its name", async () => {
    const { toBinary } = await import("@bufbuild/protobuf");
    const { ModelProtoSchema } = await import("onnx-buf");
    const proto = readModel(torchStyle).proto;
    const g = proto.graph!;
    const rename = new Map<string, string>();
    g.initializer.forEach((t, i) => {
      if (weights.has(t.name)) rename.set(t.name, `onnx::Folded_${i}`);
    });
    for (const t of g.initializer) t.name = rename.get(t.name) ?? t.name;
    for (const n of g.node) n.input = n.input.map((x) => rename.get(x) ?? x);
    const got = importDecoderWeights(toBinary(ModelProtoSchema, proto));
    for (const [name, t] of weights) expect(maxAbsDiff(got.weights.get(name)!.data, t.data), name).toBe(0);
    expect(got.sources.get("prompt_encoder.mask_downscaling.4.bias")).toMatch(/^position:onnx::Folded_/);
  });

  it("names the first parameter it cannot place", async () => {
    const { toBinary } = await import("@bufbuild/protobuf");
    const { ModelProtoSchema } = await import("onnx-buf");
    const proto = readModel(torchStyle).proto;
    const g = proto.graph!;
    // Drop the first torch-style MatMul weight: the q_proj weight of the first self-attention.
    const firstMatMul = g.node.find((n) => n.opType === "MatMul" && n.input[1]!.startsWith("onnx::MatMul_"))!;
    g.initializer = g.initializer.filter((t) => t.name !== firstMatMul.input[1]);
    expect(() => importDecoderWeights(toBinary(ModelProtoSchema, proto))).toThrow(
      /cannot match parameter mask_decoder\.transformer\.layers\.0\.self_attn\.q_proj\.weight/,
    );
    expect(() => importDecoderWeights(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(SamImportError);
  });
});
