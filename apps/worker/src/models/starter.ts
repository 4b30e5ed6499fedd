// The starter model shipped in the repository: a small SAM-architecture model (the `tiny` config, 256 px
// input) trained from scratch by @data-engine/sam-train on procedural scenes. It is the demo's model, so
// a fresh clone segments something without any download; see packages/sam-train/README.md for what it
// can and cannot segment.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ModelVersion } from "@data-engine/db";
import type { Services } from "../services.ts";
import { ModelError } from "../errors.ts";
import { registerModelVersion } from "./register.ts";

export const STARTER_MODEL_DIR = path.dirname(fileURLToPath(import.meta.resolve("@data-engine/sam-train/models/starter/model.json")));

interface StarterManifest {
  name: string;
  metrics?: unknown;
  training?: { seed?: number; stepsDone?: number; minutes?: number };
}

export async function registerStarterModel(
  services: Services,
  request: { projectId?: string | null; createdById?: string | null; dir?: string } = {},
): Promise<ModelVersion> {
  const dir = request.dir ?? STARTER_MODEL_DIR;
  const read = async (file: string) => {
    try {
      return new Uint8Array(await readFile(path.join(dir, file)));
    } catch (error) {
      throw new ModelError(`the starter model file ${path.join(dir, file)} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const [encoder, decoder, decoderThroughput, manifestBytes] = await Promise.all([
    read("encoder.onnx"),
    read("decoder.onnx"),
    read("decoder-throughput.onnx"),
    read("model.json"),
  ]);
  const manifest = JSON.parse(Buffer.from(manifestBytes).toString("utf8")) as StarterManifest;
  const model = await registerModelVersion(services, {
    name: manifest.name,
    architecture: "tiny",
    source: "TRAINED",
    encoder: { model: encoder },
    decoder: { model: decoder },
    decoderThroughput,
    projectId: request.projectId,
    createdById: request.createdById,
    config: { starter: { training: manifest.training ?? null } },
  });
  if (model.metrics === null && manifest.metrics !== undefined) {
    return services.prisma.modelVersion.update({ where: { id: model.id }, data: { metrics: manifest.metrics as object } });
  }
  return model;
}
