import { describe, expect, it } from "vitest";
import { samConfig } from "../../src/builder/config.ts";
import { buildDecoderOnnx } from "../../src/builder/decoder/graph.ts";
import { initDecoderWeights } from "../../src/builder/decoder/init.ts";
import { decoderParamSpecs } from "../../src/builder/decoder/params.ts";
import { SamBuilderError } from "../../src/builder/errors.ts";
import { META } from "../../src/builder/metadata.ts";
import { readModel } from "../../src/builder/onnx/read.ts";
import { jitterWeights } from "../../src/builder/weights.ts";
import {
  data,
  maxAbsDiff,
  publicFeeds,
  randn,
  run,
  session,
  throughputFeeds,
  type Prompt,
} from "./helpers.ts";

const c = samConfig("tiny").decoder;
const s = c.embeddingSize;
const weights = jitterWeights(initDecoderWeights(c, 1), 2);
const emb = randn(c.transformerDim * s * s, 9);
const mask = randn(16 * s * s, 10, 3);
const S = c.inputSize;
const onePoint: Prompt = {
  coords: [
    [0.3 * S, 0.6 * S],
    [0, 0],
  ],
  labels: [1, -1],
};
const threePoints: Prompt = {
  coords: [
    [0.3 * S, 0.6 * S],
    [0.7 * S, 0.2 * S],
    [0.5 * S, 0.5 * S],
  ],
  labels: [1, 0, 1],
  mask,
};
const multi = buildDecoderOnnx(c, weights).model;

describe("buildDecoderOnnx: public contract", () => {
  it("has the official input and output names and shapes", () => {
    const m = readModel(multi);
    expect(m.inputs).toEqual([
      { name: "image_embeddings", dims: [1, c.transformerDim, s, s] },
      { name: "point_coords", dims: [1, "num_points", 2] },
      { name: "point_labels", dims: [1, "num_points"] },
      { name: "mask_input", dims: [1, 1, 4 * s, 4 * s] },
      { name: "has_mask_input", dims: [1] },
      { name: "orig_im_size", dims: [2] },
    ]);
    expect(m.outputs.map((o) => o.name)).toEqual(["masks", "iou_predictions", "low_res_masks"]);
    expect(m.opset).toBe(17);
    const single = readModel(
      buildDecoderOnnx(c, weights, { returnSingleMask: true, returnExtraMetrics: true }).model,
    );
    expect(single.outputs).toEqual([
      { name: "masks", dims: [1, 1, "height", "width"] },
      { name: "iou_predictions", dims: [1, 1] },
      { name: "stability_scores", dims: [1, 1] },
      { name: "areas", dims: [1, 1] },
      { name: "low_res_masks", dims: [1, 1, 4 * s, 4 * s] },
    ]);
  });

  it("names every initializer by its reference parameter name by default", () => {
    const names = new Set(readModel(multi).initializers.keys());
    for (const p of decoderParamSpecs(c)) expect(names.has(p.name), p.name).toBe(true);
    const foreign = [...names].filter(
      (n) => !n.startsWith("/") && !decoderParamSpecs(c).some((p) => p.name === n),
    );
    expect(foreign).toEqual([]);
  });

  it("produces outputs of the original image size", async () => {
    const out = await run(multi, publicFeeds(c, emb, threePoints, [123, 321]));
    expect(out.masks!.dims).toEqual([1, 4, 123, 321]);
    expect(out.iou_predictions!.dims).toEqual([1, 4]);
    expect(out.low_res_masks!.dims).toEqual([1, 4, 4 * s, 4 * s]);
  });

  it("gives the same results at opsets 16, 17 and 18", async () => {
    const feeds = publicFeeds(c, emb, threePoints, [200, 150]);
    const ref = await run(multi, feeds);
    for (const opset of [16, 18]) {
      const m = buildDecoderOnnx(c, weights, { opset });
      expect(readModel(m.model).opset).toBe(opset);
      const out = await run(m.model, feeds);
      for (const k of ["masks", "iou_predictions", "low_res_masks"]) {
        expect(maxAbsDiff(data(out[k]), data(ref[k])), `${k} @${opset}`).toBeLessThan(1e-5);
      }
    }
  });

  it("selects a single mask as select_masks does: best of tokens 1-3 for one point, token 0 for several", async () => {
    const single = await session(buildDecoderOnnx(c, weights, { returnSingleMask: true }).model);
    const full = await session(multi);
    const plane = 16 * s * s;
    for (const [prompt, numPoints] of [
      [onePoint, 2],
      [threePoints, 3],
    ] as const) {
      const feeds = publicFeeds(c, emb, prompt, [90, 90]);
      const all = await full.run(feeds);
      const one = await single.run(feeds);
      const iou = Array.from(data(all.iou_predictions));
      const score = iou.map((v, i) => v + (i === 0 ? (numPoints - 2.5) * 1000 : 0));
      const best = score.indexOf(Math.max(...score));
      if (numPoints === 2) expect(best).toBeGreaterThan(0);
      else expect(best).toBe(0);
      expect(data(one.iou_predictions)[0]).toBeCloseTo(iou[best]!, 6);
      const lowRes = data(all.low_res_masks).subarray(best * plane, (best + 1) * plane);
      expect(maxAbsDiff(data(one.low_res_masks), lowRes)).toBeLessThan(1e-6);
    }
  });

  it("ignores the coordinates of padding points (label -1) but not of real points", async () => {
    const sess = await session(multi);
    const a = await sess.run(publicFeeds(c, emb, onePoint, [64, 64]));
    const moved = { ...onePoint, coords: [onePoint.coords[0]!, [201, 17]] };
    const b = await sess.run(publicFeeds(c, emb, moved, [64, 64]));
    expect(maxAbsDiff(data(a.low_res_masks), data(b.low_res_masks))).toBe(0);
    const realMoved = {
      ...onePoint,
      coords: [
        [10, 20],
        [0, 0],
      ],
    };
    const d = await sess.run(publicFeeds(c, emb, realMoved, [64, 64]));
    expect(maxAbsDiff(data(a.low_res_masks), data(d.low_res_masks))).toBeGreaterThan(1e-3);
  });

  it("uses mask_input only when has_mask_input is 1", async () => {
    const sess = await session(multi);
    const feeds = (m: Float32Array, has: number) => {
      const f = publicFeeds(c, emb, { ...onePoint, mask: m }, [64, 64]);
      (f.has_mask_input!.data as Float32Array)[0] = has;
      return f;
    };
    const other = randn(16 * s * s, 77, 3);
    const off1 = await sess.run(feeds(mask, 0));
    const off2 = await sess.run(feeds(other, 0));
    expect(maxAbsDiff(data(off1.low_res_masks), data(off2.low_res_masks))).toBe(0);
    const on1 = await sess.run(feeds(mask, 1));
    const on2 = await sess.run(feeds(other, 1));
    expect(maxAbsDiff(data(on1.low_res_masks), data(on2.low_res_masks))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(data(on1.low_res_masks), data(off1.low_res_masks))).toBeGreaterThan(1e-3);
  });

  it("writes its architecture into metadata_props", () => {
    const m = readModel(buildDecoderOnnx(c, weights, { gelu: "tanh" }).model);
    expect(m.metadata[META.role]).toBe("decoder");
    expect(m.metadata[META.builder]).toMatch(/^@data-engine\/sam-core\/builder@/);
    expect(m.metadata[META.layout]).toMatch(/reference name/);
    const cfg = JSON.parse(m.metadata[META.config]!) as Record<string, unknown>;
    expect(cfg).toMatchObject({ ...c, variant: "public", gelu: "tanh", returnSingleMask: false });
    const t = readModel(buildDecoderOnnx(c, weights, { variant: "throughput" }).model);
    expect(t.metadata[META.role]).toBe("decoder-throughput");
  });

  it("rejects bad options and weights with clear errors", () => {
    expect(() => buildDecoderOnnx(c, weights, { opset: 15 })).toThrow(
      /opset must be an integer from 16 to 18/,
    );
    const broken = new Map(weights);
    broken.set("mask_decoder.iou_token.weight", { shape: [2, 3], data: new Float32Array(6) });
    expect(() => buildDecoderOnnx(c, broken)).toThrow(SamBuilderError);
    expect(() => buildDecoderOnnx(c, broken)).toThrow(/mask_decoder\.iou_token\.weight has shape \[2,3\]/);
    const missing = new Map(weights);
    missing.delete("prompt_encoder.no_mask_embed.weight");
    expect(() => buildDecoderOnnx(c, missing)).toThrow(
      /missing parameter prompt_encoder\.no_mask_embed\.weight/,
    );
    expect(() => buildDecoderOnnx(c, weights, { variant: "throughput", returnSingleMask: true })).toThrow(
      /public variant only/,
    );
    expect(() => samConfig("vit_x" as never)).toThrow(/unknown SAM config "vit_x"/);
  });
});

describe("buildDecoderOnnx: throughput variant", () => {
  const model = buildDecoderOnnx(c, weights, { variant: "throughput" }).model;

  it("takes B prompts against one embedding and returns all 4 tokens", () => {
    const m = readModel(model);
    expect(m.inputs.map((i) => [i.name, i.dims])).toEqual([
      ["image_embeddings", [1, c.transformerDim, s, s]],
      ["point_coords", ["batch", "num_points", 2]],
      ["point_labels", ["batch", "num_points"]],
      ["mask_input", ["batch", 1, 4 * s, 4 * s]],
      ["has_mask_input", ["batch"]],
    ]);
    expect(m.outputs).toEqual([
      { name: "iou_predictions", dims: ["batch", 4] },
      { name: "low_res_masks", dims: ["batch", 4, 4 * s, 4 * s] },
    ]);
  });

  it("matches the public model prompt by prompt, masks and has_mask_input per row", async () => {
    const prompts: Prompt[] = [
      { ...threePoints, mask: undefined },
      threePoints,
      {
        coords: [
          [10, 10],
          [200, 240],
          [0, 0],
        ],
        labels: [2, 3, -1],
        mask: randn(16 * s * s, 5, 2),
      },
    ];
    const batch = await run(model, throughputFeeds(c, emb, prompts));
    expect(batch.low_res_masks!.dims).toEqual([3, 4, 4 * s, 4 * s]);
    const pub = await session(multi);
    const plane = 4 * 16 * s * s;
    for (let i = 0; i < prompts.length; i++) {
      const one = await pub.run(publicFeeds(c, emb, prompts[i]!, [64, 64]));
      expect(
        maxAbsDiff(data(batch.low_res_masks).subarray(i * plane, (i + 1) * plane), data(one.low_res_masks)),
      ).toBeLessThan(1e-5);
      expect(
        maxAbsDiff(data(batch.iou_predictions).subarray(i * 4, i * 4 + 4), data(one.iou_predictions)),
      ).toBeLessThan(1e-5);
    }
  });
});
