// A tiny SAM-architecture export pair (sam-core's builder, seeded weights) written to a temporary folder,
// as the files an administrator imports; built once per test file.
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildDecoderOnnx, buildEncoderOnnx, initDecoderWeights, samConfig } from "@data-engine/sam-core";

export interface ModelFiles {
  dir: string;
  encoderPath: string;
  decoderPath: string;
  encoder: Uint8Array;
  decoder: Uint8Array;
}

let built: Promise<ModelFiles> | undefined;

export function tinyModelFiles(): Promise<ModelFiles> {
  built ??= (async () => {
    const cfg = samConfig("tiny");
    const encoder = buildEncoderOnnx(cfg.encoder, { seed: 5, inputForm: "normalized" });
    const decoder = buildDecoderOnnx(cfg.decoder, initDecoderWeights(cfg.decoder, 6), { variant: "public" });
    if (encoder.external || decoder.external) throw new Error("the tiny model was expected to fit in one file");
    const dir = await mkdtemp(path.join(os.tmpdir(), "web-model-files-"));
    const encoderPath = path.join(dir, "sam_tiny_encoder.onnx");
    const decoderPath = path.join(dir, "sam_tiny_decoder.onnx");
    await writeFile(encoderPath, encoder.model);
    await writeFile(decoderPath, decoder.model);
    return { dir, encoderPath, decoderPath, encoder: encoder.model, decoder: decoder.model };
  })();
  return built;
}
