// A warm start of the starter trainer (`init`, what `train-starter.ts --init DIR` passes): it trains on from
// the given weights, its decoder can be kept as it is while the encoder trains (`decoderLrScale: 0`), and a
// starter folder's files read back (`loadStarterFiles`) are the weights that were written.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildDecoderOnnx, buildEncoderOnnx, initDecoderWeights, initEncoderWeights, type WeightMap } from "@data-engine/sam-core";
import { CheckpointMismatchError } from "../src/errors.ts";
import { loadStarterFiles } from "../src/starter/load-starter.ts";
import { starterConfig, trainStarter } from "../src/starter/train-starter.ts";

const cfg = starterConfig(64, 16, 4);
const simulation = { pointRounds: 1, maskOnlyRounds: 0, boxProbability: 0.5, multimaskLoss: "mean" as const };
const base = { config: cfg, seed: 9, maxObjects: 3, simulation, loss: { focal: 0, dice: 1, iou: 1 } };
const same = (a: WeightMap, b: WeightMap, name: string) => Array.from(a.get(name)!.data).every((v, i) => v === b.get(name)!.data[i]);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("starter warm start", () => {
  it("reads a starter folder back into the weights that were written", async () => {
    const dir = await mkdtemp(join(tmpdir(), "starter-files-"));
    dirs.push(dir);
    const enc = initEncoderWeights(cfg.encoder, 2);
    const dec = initDecoderWeights(cfg.decoder, 2);
    await writeFile(join(dir, "encoder.onnx"), buildEncoderOnnx(cfg.encoder, { weights: enc, inputForm: "normalized" }).model);
    await writeFile(join(dir, "decoder.onnx"), buildDecoderOnnx(cfg.decoder, dec, { variant: "public" }).model);
    await writeFile(join(dir, "model.json"), JSON.stringify({ config: cfg, training: { seed: 2 } }));
    const files = await loadStarterFiles(dir);
    expect(files.config).toEqual(cfg);
    expect(files.training).toEqual({ seed: 2 });
    for (const [n, t] of enc) expect(Array.from(files.encoder.get(n)!.data)).toEqual(Array.from(t.data));
    for (const [n, t] of dec) {
      const got = files.decoder.get(n)!.data;
      expect(got.length).toBe(t.data.length);
      expect(got.every((v, i) => Math.abs(v - t.data[i]!) <= 1e-6 * Math.max(1, Math.abs(t.data[i]!)))).toBe(true);
    }
    await writeFile(join(dir, "model.json"), "{}");
    await expect(loadStarterFiles(dir)).rejects.toThrow(/no config/);
  });

  it("trains on from the given weights, and keeps the decoder with decoderLrScale 0", async () => {
    const init = { encoder: initEncoderWeights(cfg.encoder, 4), decoder: initDecoderWeights(cfg.decoder, 4), label: "seed-4 weights" };
    const zero = await trainStarter({ ...base, steps: 0, init });
    for (const [n, t] of init.encoder) expect(Array.from(zero.encoder.get(n)!.data)).toEqual(Array.from(t.data));
    expect(same(zero.decoder, init.decoder, "mask_decoder.iou_token.weight")).toBe(true);

    const encOnly = await trainStarter({ ...base, steps: 2, init, decoderLrScale: 0 });
    for (const [n, t] of init.decoder) expect(Array.from(encOnly.decoder.get(n)!.data)).toEqual(Array.from(t.data));
    expect(same(encOnly.encoder, init.encoder, "image_encoder.patch_embed.proj.weight")).toBe(false);

    const both = await trainStarter({ ...base, steps: 2, init });
    expect(same(both.decoder, init.decoder, "mask_decoder.iou_token.weight")).toBe(false);
  });

  it("refuses structured starts with a warm start, a run that trains nothing, and another run's checkpoint", async () => {
    const init = { encoder: initEncoderWeights(cfg.encoder, 4), decoder: initDecoderWeights(cfg.decoder, 4), label: "a" };
    await expect(trainStarter({ ...base, steps: 1, init, encoderStart: { residualScale: 0.1 } })).rejects.toThrow(/excludes/);
    await expect(trainStarter({ ...base, steps: 1, encoderLrScale: 0, decoderLrScale: 0 })).rejects.toThrow(/nothing would train/);
    let saved: Uint8Array | null = null;
    const store = { load: async () => saved, save: async (b: Uint8Array) => void (saved = b) };
    await trainStarter({ ...base, steps: 1, init, checkpoint: { store, every: 1 } });
    expect(saved).not.toBeNull();
    await expect(
      trainStarter({ ...base, steps: 1, init: { ...init, label: "b" }, checkpoint: { store, every: 1 } }),
    ).rejects.toThrow(CheckpointMismatchError);
  });
});
