import { initDecoderWeights, initEncoderWeights, preprocessHwc, type BinaryMask } from "@data-engine/sam-core";
import { describe, expect, it } from "vitest";
import { simulateObjects } from "../src/interactive.ts";
import { decoderConstants, GAUSSIAN } from "../src/model/decoder.ts";
import { encoderForward } from "../src/model/encoder.ts";
import { disposeParams, toTfParams } from "../src/model/params.ts";
import { Prng } from "../src/random.ts";
import { colourPassThroughEncoder } from "../src/starter/encoder-init.ts";
import { alignValuePaths } from "../src/starter/positional-init.ts";
import { downsampleMask, generateScene } from "../src/starter/scenes.ts";
import { starterConfig, trainStarter } from "../src/starter/train-starter.ts";
import { initTf, tf } from "../src/tf/backend.ts";
import { randn } from "./helpers.ts";

describe("structured encoder start (colourPassThroughEncoder)", () => {
  const cfg = starterConfig(64, 8, 4);

  it("puts each patch's colour means and half differences in the first 9 channels of the patch embedding", () => {
    const w = colourPassThroughEncoder(initEncoderWeights(cfg.encoder, 2), cfg.encoder);
    const p = cfg.encoder.patchSize;
    const weight = w.get("image_encoder.patch_embed.proj.weight")!.data;
    const bias = w.get("image_encoder.patch_embed.proj.bias")!.data;
    const patch = randn(3 * p * p, 7); // [3, p, p]
    const at = (ch: number, y: number, x: number) => patch[(ch * p + y) * p + x]!;
    const out = (o: number) => {
      let v = bias[o]!;
      for (let i = 0; i < 3 * p * p; i++) v += weight[o * 3 * p * p + i]! * patch[i]!;
      return v;
    };
    for (let ch = 0; ch < 3; ch++) {
      let mean = 0;
      let lr = 0;
      let tb = 0;
      for (let y = 0; y < p; y++)
        for (let x = 0; x < p; x++) {
          mean += at(ch, y, x) / (p * p);
          lr += ((x < p / 2 ? 1 : -1) * at(ch, y, x)) / ((p * p) / 2);
          tb += ((y < p / 2 ? 1 : -1) * at(ch, y, x)) / ((p * p) / 2);
        }
      expect(out(ch * 3)).toBeCloseTo(mean, 5);
      expect(out(ch * 3 + 1)).toBeCloseTo(lr, 5);
      expect(out(ch * 3 + 2)).toBeCloseTo(tb, 5);
    }
  });

  it("gives embedding cells of one object more similar features than the random start does", async () => {
    await initTf();
    const S = cfg.encoder.imgSize;
    const s = S / cfg.encoder.patchSize;
    // Contrast: mean cosine similarity within objects minus mean similarity between objects.
    const contrast = (w: ReturnType<typeof initEncoderWeights>) => {
      const p = toTfParams(w);
      let within = 0;
      let nw = 0;
      let across = 0;
      let na = 0;
      for (const seed of [11, 12, 13, 14]) {
        const scene = generateScene(seed, { size: S, solidFills: true });
        const e = tf.tidy(() =>
          encoderForward(cfg.encoder, p, tf.tensor4d(preprocessHwc(scene.rgb, S, S, S), [1, 3, S, S])),
        );
        const E = e.dataSync() as Float32Array;
        e.dispose();
        const C = E.length / (s * s);
        const owner = new Int32Array(s * s).fill(-1);
        scene.masks.forEach((m, k) => downsampleMask(m, s).data.forEach((v, j) => v && (owner[j] = k)));
        const cos = (a: number, b: number) => {
          let ab = 0;
          let aa = 0;
          let bb = 0;
          for (let c = 0; c < C; c++) {
            const x = E[c * s * s + a]!;
            const y = E[c * s * s + b]!;
            ab += x * y;
            aa += x * x;
            bb += y * y;
          }
          return ab / Math.sqrt(aa * bb);
        };
        for (let a = 0; a < s * s; a++)
          for (let b = a + 1; b < s * s; b++) {
            if (owner[a]! < 0 || owner[b]! < 0) continue;
            if (owner[a] === owner[b]) {
              within += cos(a, b);
              nw++;
            } else {
              across += cos(a, b);
              na++;
            }
          }
      }
      disposeParams(p);
      return within / nw - across / na;
    };
    const random = contrast(initEncoderWeights(cfg.encoder, 2));
    const structured = contrast(colourPassThroughEncoder(initEncoderWeights(cfg.encoder, 2), cfg.encoder));
    expect(structured).toBeGreaterThan(random + 0.1);
  });
});

describe("value-path start of the first decoder layer (alignValuePaths)", () => {
  it("carries the aligned channels through the first token-to-image value path unchanged", () => {
    const c = starterConfig(64, 8, 4).decoder;
    const w = alignValuePaths(initDecoderWeights(c, 3), c, 0);
    const d = c.transformerDim;
    const inner = d / c.attentionDownsampleRate;
    const a = "mask_decoder.transformer.layers.0.cross_attn_token_to_image";
    const v = w.get(`${a}.v_proj.weight`)!.data; // [inner, d]
    const o = w.get(`${a}.out_proj.weight`)!.data; // [d, inner]
    const x = randn(d, 5);
    const y = Float32Array.from({ length: d }, (_, i) => {
      let s = 0;
      for (let j = 0; j < inner; j++) {
        let h = 0;
        for (let k = 0; k < d; k++) h += v[j * d + k]! * x[k]!;
        s += o[i * inner + j]! * h;
      }
      return s;
    });
    // noise 0: exactly the projection onto the channels the positional start aligns (inner of them)
    const kept = [...y.keys()].filter((i) => y[i] !== 0);
    expect(kept).toHaveLength(inner);
    for (const i of kept) expect(y[i]).toBeCloseTo(x[i]!, 6);
    const self = w.get("mask_decoder.transformer.layers.0.self_attn.v_proj.weight")!.data;
    expect(self[0]).toBe(1);
    expect(Math.abs(self[1]!)).toBe(0);
  });
});

describe("multimask loss of a single click", () => {
  it('"mean" back-propagates all three multimask tokens, "min" only one per row', async () => {
    await initTf();
    const c = starterConfig(64, 16, 4).decoder;
    const w = initDecoderWeights(c, 4);
    const L = 4 * c.embeddingSize;
    const data = new Uint8Array(L * L);
    for (let y = 4; y < 10; y++) for (let x = 3; x < 12; x++) data[y * L + x] = 1;
    const mask: BinaryMask = { width: L, height: L, data };
    const gradNorms = (mode: "min" | "mean") => {
      const params = toTfParams(w);
      const k = decoderConstants(c, w.get(GAUSSIAN)!.data);
      const trainable = [0, 1, 2, 3].map((i) => `mask_decoder.output_hypernetworks_mlps.${i}.layers.2.weight`);
      const emb = tf.tensor4d(randn(c.transformerDim * c.embeddingSize ** 2, 9), [
        1,
        c.transformerDim,
        c.embeddingSize,
        c.embeddingSize,
      ]);
      const r = simulateObjects({
        config: c,
        params,
        trainable,
        constants: k,
        embedding: emb,
        masks: [mask],
        rng: Prng.derive(1, "t"),
        simulation: { pointRounds: 0, maskOnlyRounds: 0, boxProbability: 0, multimaskLoss: mode },
        loss: { focal: 0, dice: 1, iou: 0 },
      });
      const norms = trainable.map((n) => Math.sqrt(tf.sum(tf.square(r.grads.get(n)!)).dataSync()[0]!));
      for (const g of r.grads.values()) g.dispose();
      disposeParams(params);
      emb.dispose();
      return norms;
    };
    const min = gradNorms("min");
    const mean = gradNorms("mean");
    expect(min[0]).toBe(0);
    expect(min.slice(1).filter((v) => v > 0)).toHaveLength(1);
    expect(mean[0]).toBe(0);
    expect(mean.slice(1).every((v) => v > 0)).toBe(true);
  });
});

describe("starter training with the structured starts", () => {
  it("trains a step with the encoder start, the positional and value-path starts and the mean multimask loss", async () => {
    const r = await trainStarter({
      config: starterConfig(64, 8, 4),
      steps: 1,
      seed: 3,
      maxObjects: 3,
      encoderStart: { residualScale: 0.1 },
      alignPositional: 4,
      alignSelf: 2,
      alignValues: 0.1,
      simulation: { pointRounds: 1, maskOnlyRounds: 0, boxProbability: 0.5, multimaskLoss: "mean" },
      loss: { focal: 0, dice: 1, iou: 1 },
    });
    expect(r.steps).toBe(1);
    expect(Number.isFinite(r.log[0]!.loss)).toBe(true);
  });

  it("keeps the encoder at its start with encoderLrScale 0 while the decoder trains", async () => {
    const cfg = starterConfig(64, 8, 4);
    const r = await trainStarter({
      config: cfg,
      steps: 2,
      seed: 6,
      maxObjects: 3,
      encoderStart: { residualScale: 0.1 },
      encoderLrScale: 0,
      loss: { focal: 0, dice: 1, iou: 1 },
    });
    const start = colourPassThroughEncoder(initEncoderWeights(cfg.encoder, 6), cfg.encoder, { residualScale: 0.1 });
    for (const [n, t] of start) expect(Array.from(r.encoder.get(n)!.data)).toEqual(Array.from(t.data));
    const d0 = initDecoderWeights(cfg.decoder, 6).get("mask_decoder.iou_token.weight")!.data;
    expect(Array.from(r.decoder.get("mask_decoder.iou_token.weight")!.data)).not.toEqual(Array.from(d0));
  });
});
