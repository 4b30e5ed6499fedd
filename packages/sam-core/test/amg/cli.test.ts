// The `amg` subcommand, called directly (main.ts registers it in its command table).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildDecoderOnnx, initDecoderWeights, samConfig } from "../../src/builder/index.ts";
import { buildEncoderOnnx } from "../../src/builder/encoder/graph.ts";
import { amgCommand } from "../../src/cli/amg.ts";
import { UsageError } from "../../src/cli/errors.ts";
import { writeSerializedModel } from "../../src/builder/onnx/write-node.ts";
import { encodeEmbedding } from "../../src/embedding/codec.ts";
import { createNodeBackend, decodeImage, readModelFile } from "../../src/node.ts";
import { encodeImage } from "../../src/predictor/encode-image.ts";
import { rleArea } from "../../src/mask/rle-ops.ts";
import type { CocoRle } from "../../src/mask/types.ts";

const dir = mkdtempSync(join(tmpdir(), "amg-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cfg = samConfig("tiny");
const w = initDecoderWeights(cfg.decoder, 11);
writeFileSync(join(dir, "decoder-throughput.onnx"), buildDecoderOnnx(cfg.decoder, w, { variant: "throughput" }).model);
writeFileSync(join(dir, "encoder.onnx"), buildEncoderOnnx(cfg.encoder, { seed: 5 }).model);
const IMAGE = "/work/shared/samples/coins.png";

describe("sam-core amg", () => {
  it("writes SA-1B JSON with COCO RLE masks", async () => {
    const lines: string[] = [];
    const out = join(dir, "masks.json");
    await amgCommand(
      {
        values: {
          decoder: join(dir, "decoder-throughput.onnx"),
          encoder: join(dir, "encoder.onnx"),
          out,
          "points-per-side": "4",
          "pred-iou": "0.02",
          stability: "0.001",
          "stability-offset": "0.03", // the tiny random model's logits stay within ±0.3
          threads: "1",
        },
        positionals: [IMAGE],
      },
      { out: (l) => lines.push(l) },
    );
    const doc = JSON.parse(readFileSync(out, "utf8")) as { image: { width: number; height: number }; annotations: { id: number; area: number; segmentation: CocoRle }[] };
    expect(doc.annotations.length).toBeGreaterThan(0);
    for (const a of doc.annotations) {
      expect(a.segmentation.size).toEqual([doc.image.height, doc.image.width]);
      expect(rleArea(a.segmentation)).toBe(a.area);
    }
    expect(doc.annotations.map((a) => a.id)).toEqual(doc.annotations.map((_, i) => i + 1));
    expect(lines.at(-1)).toMatch(/mask\(s\) from 16 prompts \(throughput decoder, 1 runs\)/);
  });

  it("identifies an external-data encoder as embed does: its embedding is accepted, another model's refused", async () => {
    const encPath = join(dir, "encoder-ext.onnx");
    writeSerializedModel(encPath, buildEncoderOnnx(cfg.encoder, { seed: 5, externalData: true, externalDataFile: "encoder-ext.onnx.data" }));
    const enc = await readModelFile(encPath);
    expect(enc.externalData.length).toBe(1);
    // What `embed` writes: encodeImage derives the id from the .onnx bytes and the side file.
    const emb = await encodeImage(createNodeBackend(), enc.model, enc.externalData, await decodeImage(new Uint8Array(readFileSync(IMAGE))));
    const run = (embPath: string) =>
      amgCommand(
        {
          values: {
            decoder: join(dir, "decoder-throughput.onnx"),
            encoder: encPath,
            embedding: embPath,
            out: join(dir, "masks-ext.json"),
            "points-per-side": "2",
            threads: "1",
            quiet: true,
          },
          positionals: [IMAGE],
        },
        { out: () => {} },
      );
    writeFileSync(join(dir, "emb.bin"), encodeEmbedding(emb));
    await run(join(dir, "emb.bin"));
    writeFileSync(join(dir, "emb-other.bin"), encodeEmbedding({ ...emb, modelId: "sha256:0123456789abcdef" }));
    await expect(run(join(dir, "emb-other.bin"))).rejects.toThrow(/computed by model "sha256:0123456789abcdef"/);
  });

  it("usage errors name the problem", async () => {
    const base = { decoder: "d.onnx", encoder: "e.onnx", out: "o.json" };
    const io = { out: () => {} };
    await expect(amgCommand({ values: base, positionals: [] }, io)).rejects.toThrow(UsageError);
    await expect(amgCommand({ values: { ...base, encoder: undefined }, positionals: ["x.png"] }, io)).rejects.toThrow(/--encoder and\/or --embedding/);
    await expect(amgCommand({ values: { ...base, preset: "fast" }, positionals: ["x.png"] }, io)).rejects.toThrow(/--preset/);
    await expect(amgCommand({ values: { ...base, "pred-iou": "high" }, positionals: ["x.png"] }, io)).rejects.toThrow(/--pred-iou must be a number/);
  });
});
