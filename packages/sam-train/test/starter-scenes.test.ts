import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { buildDecoderOnnx, importDecoderWeights, initDecoderWeights, samConfig } from "@data-engine/sam-core";
import { describe, expect, it } from "vitest";
import { GAUSSIAN } from "../src/model/decoder.ts";
import { alignPositionalAttention } from "../src/starter/positional-init.ts";
import { downsampleMask, generateScene } from "../src/starter/scenes.ts";
import { starterConfig, trainSceneSeed, trainStarter } from "../src/starter/train-starter.ts";

describe("starter scenes", () => {
  it("solid fills keep the geometry and paint each surface in one colour", () => {
    for (const seed of [3, 17, 42]) {
      const textured = generateScene(seed, { size: 64 });
      const solid = generateScene(seed, { size: 64, solidFills: true });
      expect(solid.masks.map((m) => [...m.data])).toEqual(textured.masks.map((m) => [...m.data]));
      for (const m of solid.masks) {
        const colours = new Set<string>();
        m.data.forEach((v, i) => {
          if (v) colours.add([...solid.rgb.subarray(i * 3, i * 3 + 3)].join(","));
        });
        expect(colours.size).toBe(1);
      }
    }
  });
});

describe("the \"large\" domain", () => {
  it("draws the same kinds of shapes at larger scales than the training domain", () => {
    // One object per scene, so its mask is the whole shape (clipped at the image border).
    const largest = (domain: "shapes" | "large") =>
      Array.from({ length: 12 }, (_, i) => {
        const scene = generateScene(100 + i, { size: 64, domain, minObjects: 1, maxObjects: 1 });
        return Math.max(0, ...scene.masks.map((m) => m.data.reduce((a, v) => a + v, 0)));
      });
    const shapes = largest("shapes");
    const large = largest("large");
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(large)).toBeGreaterThan(2 * mean(shapes));
  });
});

describe("starter architecture", () => {
  it("is the tiny config at another input size, and its public decoder export carries that config", () => {
    const c = starterConfig(128, 16, 4);
    const tiny = samConfig("tiny");
    expect(c.encoder).toEqual({ ...tiny.encoder, imgSize: 128 });
    expect(c.decoder).toEqual({ ...tiny.decoder, numHeads: 4, embeddingSize: 8, inputSize: 128 });
    const w = initDecoderWeights(c.decoder, 1);
    const back = importDecoderWeights(buildDecoderOnnx(c.decoder, w, { variant: "public" }).model);
    expect(back.config).toEqual(c.decoder);
  });

  it("the shipped starter's decoder.onnx imports with the config recorded in model.json", async () => {
    const file = (f: string) => fileURLToPath(new URL(`../models/starter/${f}`, import.meta.url));
    const manifest = JSON.parse(await readFile(file("model.json"), "utf8")) as {
      config: ReturnType<typeof samConfig>;
    };
    const base = importDecoderWeights(new Uint8Array(await readFile(file("decoder.onnx"))));
    expect(base.config).toEqual(manifest.config.decoder);
    expect(manifest.config.encoder.imgSize).toBe(base.config.inputSize);
  });
});

describe("positional start of the cross attentions", () => {
  it("makes a point's attention logit over the image grid peak at the point's own cell", () => {
    const c = starterConfig(128, 16, 2).decoder;
    const base = initDecoderWeights(c, 3);
    const w = alignPositionalAttention(base, c, 4, 2);
    const d = c.transformerDim;
    const g = base.get(GAUSSIAN)!.data.map((v) => v * 0.5);
    // SAM's Fourier features of a point in the input frame: [sin(2 pi u G), cos(2 pi u G)], u in [-1, 1].
    const pe = (x: number, y: number) => {
      const u = [((x + 0.5) / c.inputSize) * 2 - 1, ((y + 0.5) / c.inputSize) * 2 - 1];
      const out = new Float32Array(d);
      for (let f = 0; f < d / 2; f++) {
        const a = 2 * Math.PI * (u[0]! * g[f]! + u[1]! * g[d / 2 + f]!);
        out[f] = Math.sin(a);
        out[d / 2 + f] = Math.cos(a);
      }
      return out;
    };
    const project = (name: string, v: Float32Array) => {
      const t = w.get(name)!;
      const [rows, cols] = t.shape as [number, number];
      return Float32Array.from({ length: rows }, (_, r) =>
        v.reduce((acc, x, j) => acc + x * t.data[r * cols + j]!, 0),
      );
    };
    const attn = "mask_decoder.transformer.layers.0.cross_attn_image_to_token";
    const cell = c.inputSize / c.embeddingSize;
    let hits = 0;
    const clicks = [
      [3, 5],
      [0, 0],
      [7, 2],
      [4, 4],
    ];
    for (const [cx, cy] of clicks) {
      const k = project(`${attn}.k_proj.weight`, pe(cx! * cell + cell / 2, cy! * cell + cell / 2));
      let best = -Infinity;
      let at = -1;
      for (let i = 0; i < c.embeddingSize ** 2; i++) {
        const x = i % c.embeddingSize;
        const y = Math.floor(i / c.embeddingSize);
        const q = project(`${attn}.q_proj.weight`, pe(x * cell + cell / 2, y * cell + cell / 2));
        const logit = q.reduce((acc, v, j) => acc + v * k[j]!, 0);
        if (logit > best) [best, at] = [logit, i];
      }
      if (at === cy! * c.embeddingSize + cx!) hits++;
    }
    expect(hits).toBe(clicks.length);
    // the unaligned start has no such structure
    expect(w.get(`${attn}.q_proj.weight`)!.data).not.toEqual(base.get(`${attn}.q_proj.weight`)!.data);
  });
});

describe("starter training step", () => {
  it("leaves out an object that vanishes on the low-res grid instead of failing to sample a prompt in it", async () => {
    // Seed 34's first 64 px scene has 6 objects; one has no low-res cell at 16x16 (majority vote).
    const scene = generateScene(trainSceneSeed(34, 0), { size: 64, domain: "shapes" });
    expect(scene.masks.filter((m) => !downsampleMask(m, 16).data.some((v) => v !== 0)).length).toBe(1);
    const r = await trainStarter({ config: starterConfig(64, 16, 4), steps: 1, seed: 34, maxObjects: 6 });
    expect(r.steps).toBe(1);
    expect(r.log).toHaveLength(1);
    expect(Number.isFinite(r.log[0]!.loss)).toBe(true);
  });

  it("averages the gradients of several scenes per update, deterministically", async () => {
    const run = (scenesPerStep: number) =>
      trainStarter({ config: starterConfig(64, 16, 4), steps: 2, seed: 5, scenesPerStep, maxObjects: 3 });
    const [a, b, one] = [await run(2), await run(2), await run(1)];
    const w = (r: Awaited<ReturnType<typeof run>>) => r.decoder.get("mask_decoder.iou_token.weight")!.data;
    expect(Array.from(w(a))).toEqual(Array.from(w(b)));
    expect(Array.from(w(a))).not.toEqual(Array.from(w(one)));
    expect(a.log.every((l) => Number.isFinite(l.loss))).toBe(true);
  });
});
