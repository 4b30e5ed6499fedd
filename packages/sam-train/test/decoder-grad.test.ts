import { initDecoderWeights, jitterWeights, samConfig } from "@data-engine/sam-core";
import { describe, expect, it } from "vitest";
import { decoderConstants, decoderForward, GAUSSIAN } from "../src/model/decoder.ts";
import { toTfParams } from "../src/model/params.ts";
import { initTf, tf } from "../src/tf/backend.ts";
import { randn } from "./helpers.ts";

await initTf();

describe("decoder gradients", () => {
  it("match central finite differences for parameters across the whole decoder", () => {
    const c = samConfig("tiny").decoder;
    const w = jitterWeights(initDecoderWeights(c, 1), 3, 0.05);
    const p = toTfParams(w);
    const k = decoderConstants(c, w.get(GAUSSIAN)!.data);
    const s = c.embeddingSize;
    const emb = tf.tensor(randn(c.transformerDim * s * s, 4), [1, c.transformerDim, s, s]);
    const mask = tf.tensor(randn(16 * s * s, 5, 2), [1, 1, 4 * s, 4 * s]);
    const probe = tf.tensor(randn(4 * 16 * s * s, 6), [1, 4, 4 * s, 4 * s]);
    const probeIou = tf.tensor(randn(4, 7), [1, 4]);
    const loss = (name: string, x: tf.Tensor) => {
      const view = new Map(p);
      view.set(name, x);
      const o = decoderForward(c, view, k, emb, {
        coords: Float32Array.from([30, 40, 200, 10]),
        labels: Float32Array.from([1, 0]),
        batch: 1,
        points: 2,
        maskInput: mask,
      });
      return tf.add(tf.sum(tf.mul(o.lowRes, probe)), tf.sum(tf.mul(o.iou, probeIou))) as tf.Scalar;
    };
    for (const name of [
      "prompt_encoder.point_embeddings.0.weight",
      "prompt_encoder.mask_downscaling.0.weight",
      "mask_decoder.transformer.layers.1.cross_attn_image_to_token.v_proj.weight",
      "mask_decoder.output_upscaling.0.weight",
      "mask_decoder.output_hypernetworks_mlps.1.layers.0.weight",
      "mask_decoder.iou_prediction_head.layers.1.weight",
    ]) {
      const x = p.get(name)!;
      const g = tf
        .grad((t: tf.Tensor) => loss(name, t))(x)
        .dataSync();
      const base = x.dataSync().slice();
      for (const i of [0, Math.floor(base.length / 2), base.length - 1]) {
        const at = (d: number) => {
          const v = base.slice();
          v[i] += d;
          return tf.tidy(() => loss(name, tf.tensor(v, x.shape)).dataSync()[0]!);
        };
        const numeric = (at(1e-2) - at(-1e-2)) / 2e-2;
        // float32 sums over 16k outputs: finite differences are good to ~1e-2 absolute here
        expect(Math.abs(numeric - g[i]!), `${name}[${i}]`).toBeLessThan(0.05 + 0.02 * Math.abs(numeric));
      }
    }
  });
});
