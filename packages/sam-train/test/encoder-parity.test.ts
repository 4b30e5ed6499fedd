import { buildEncoderOnnx, initEncoderWeights, jitterWeights, samConfig } from "@data-engine/sam-core";
import { describe, expect, it } from "vitest";
import { encoderForward } from "../src/model/encoder.ts";
import { disposeParams, toTfParams } from "../src/model/params.ts";
import { initTf, tf } from "../src/tf/backend.ts";
import { maxAbsDiff, ortRun, ortSession, randn } from "./helpers.ts";

describe("tfjs encoder forward", () => {
  it("equals onnxruntime on sam-core's encoder (tiny config, same weights)", async () => {
    await initTf();
    const c = samConfig("tiny").encoder;
    const w = jitterWeights(initEncoderWeights(c, 5), 9, 0.05);
    const S = c.imgSize;
    const img = randn(3 * S * S, 4);
    const sess = await ortSession(buildEncoderOnnx(c, { weights: w }).model);
    const ref = await ortRun(sess, { input_image: { data: img, dims: [1, 3, S, S] } });
    const p = toTfParams(w);
    const out = tf.tidy(() => encoderForward(c, p, tf.tensor(img, [1, 3, S, S])));
    const g = S / c.patchSize;
    expect(out.shape).toEqual([1, c.outChans, g, g]);
    expect(maxAbsDiff(out.dataSync(), ref.image_embeddings!)).toBeLessThan(1e-4);
    out.dispose();
    disposeParams(p);
    await sess.release();
  });
});
