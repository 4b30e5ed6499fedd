import { buildDecoderOnnx, initDecoderWeights, jitterWeights, samConfig } from "@data-engine/sam-core";
import { describe, expect, it } from "vitest";
import { decoderConstants, decoderForward, GAUSSIAN } from "../src/model/decoder.ts";
import { disposeParams, toTfParams } from "../src/model/params.ts";
import { initTf, tf } from "../src/tf/backend.ts";
import { maxAbsDiff, ortRun, ortSession, randn } from "./helpers.ts";

describe("tfjs decoder forward", () => {
  it("equals onnxruntime on sam-core's throughput decoder (same weights)", async () => {
    await initTf();
    const c = samConfig("tiny").decoder;
    const w = jitterWeights(initDecoderWeights(c, 3), 7, 0.05);
    const s = c.embeddingSize;
    const B = 3;
    const N = 3;
    const emb = randn(c.transformerDim * s * s, 11);
    const coords = Float32Array.from([
      10, 20, 100, 200, 0, 0, 30, 40, 90, 120, 250, 5, 5, 5, 60, 61, 200, 220,
    ]);
    const labels = Float32Array.from([1, 0, -1, 2, 3, 1, 1, 1, 0]);
    const masks = randn(B * 16 * s * s, 12, 3);
    const has = Float32Array.from([1, 0, 1]);
    const sess = await ortSession(buildDecoderOnnx(c, w, { variant: "throughput" }).model);
    const ref = await ortRun(sess, {
      image_embeddings: { data: emb, dims: [1, c.transformerDim, s, s] },
      point_coords: { data: coords, dims: [B, N, 2] },
      point_labels: { data: labels, dims: [B, N] },
      mask_input: { data: masks, dims: [B, 1, 4 * s, 4 * s] },
      has_mask_input: { data: has, dims: [B] },
    });
    const p = toTfParams(w);
    const k = decoderConstants(c, w.get(GAUSSIAN)!.data);
    const out = tf.tidy(() => {
      const r = decoderForward(c, p, k, tf.tensor(emb, [1, c.transformerDim, s, s]), {
        coords,
        labels,
        batch: B,
        points: N,
        maskInput: tf.tensor(masks, [B, 1, 4 * s, 4 * s]),
        hasMask: has,
      });
      return [r.lowRes, r.iou];
    });
    const lowRes = out[0]!.dataSync();
    const iou = out[1]!.dataSync();
    expect(out[0]!.shape).toEqual([B, 4, 4 * s, 4 * s]);
    expect(maxAbsDiff(lowRes, ref.low_res_masks!)).toBeLessThan(1e-4);
    expect(maxAbsDiff(iou, ref.iou_predictions!)).toBeLessThan(1e-4);
    // the outputs vary with the prompt (the check is not trivially satisfied by constants)
    expect(
      maxAbsDiff(lowRes.slice(0, 16 * s * s), lowRes.slice(4 * 16 * s * s, 5 * 16 * s * s)),
    ).toBeGreaterThan(1e-2);
    tf.dispose(out);
    disposeParams(p);
    await sess.release();
  });
});
