import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  encoderParamSpecs,
  importDecoderWeights,
  readModel,
  tensorToFloat32,
  type SamConfig,
  type WeightMap,
} from "@data-engine/sam-core";

/** A starter folder's model.json: its architecture and the record of its training (command, seed, ...). */
export interface StarterModel {
  config: SamConfig;
  training: { seed?: number; command?: string } & Record<string, unknown>;
}

export interface StarterFiles extends StarterModel {
  encoder: WeightMap;
  decoder: WeightMap;
}

/** Reads and checks a starter folder's model.json. */
export async function readStarterModel(dir: string): Promise<StarterModel> {
  const model = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as Partial<StarterModel>;
  if (!model.config?.encoder || !model.config.decoder) throw new Error(`${dir}/model.json has no config`);
  return { config: model.config, training: model.training ?? {} };
}

/**
 * Reads a starter folder (model.json, encoder.onnx, decoder.onnx as train-starter.ts writes them) back
 * into weight maps, for a warm start. The encoder is one of ours (every parameter an initializer under its
 * reference name); the decoder goes through sam-core's import like any public export.
 */
export async function loadStarterFiles(dir: string): Promise<StarterFiles> {
  const file = async (f: string) => new Uint8Array(await readFile(join(dir, f)));
  const { config, training } = await readStarterModel(dir);
  const enc = readModel(await file("encoder.onnx"));
  const encoder: WeightMap = new Map();
  for (const spec of encoderParamSpecs(config.encoder)) {
    const t = enc.initializers.get(spec.name);
    if (!t) throw new Error(`${dir}/encoder.onnx has no initializer ${spec.name}`);
    const data = tensorToFloat32(t);
    if (data.length !== spec.shape.reduce((a, b) => a * b, 1))
      throw new Error(`${dir}/encoder.onnx: ${spec.name} has ${data.length} values, expected [${spec.shape}]`);
    encoder.set(spec.name, { shape: [...spec.shape], data });
  }
  const decoder = importDecoderWeights(await file("decoder.onnx")).weights;
  return { config, training, encoder, decoder };
}
