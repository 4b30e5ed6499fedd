// Builds a SAM-architecture model with sam-core's builder (seeded weights) and registers it: the seed's
// alternative to the trained starter model (modelConfig "tiny" | "vit_b"), for tests and benchmarks that
// need a given architecture. "tiny" encodes a photo in well under a second on a CPU.
import { buildDecoderOnnx, buildEncoderOnnx, initDecoderWeights, samConfig, type SamConfigName } from "@data-engine/sam-core";
import type { ModelVersion } from "@data-engine/db";
import type { Services } from "../services.ts";
import { registerModelVersion } from "./register.ts";

export interface BuildModelRequest {
  config?: SamConfigName;
  seed?: number;
  name?: string;
  projectId?: string | null;
  createdById?: string | null;
}

export async function buildDemoModel(services: Services, request: BuildModelRequest = {}): Promise<ModelVersion> {
  const configName = request.config ?? "tiny";
  const seed = request.seed ?? 0;
  const cfg = samConfig(configName);
  const encoder = buildEncoderOnnx(cfg.encoder, { seed, inputForm: "normalized" });
  const decoder = buildDecoderOnnx(cfg.decoder, initDecoderWeights(cfg.decoder, seed + 1), { variant: "public" });
  const side = (m: typeof encoder) =>
    m.external ? [{ path: m.external.fileName, data: Buffer.concat(m.external.chunks.map((c) => Buffer.from(c))) }] : [];
  return registerModelVersion(services, {
    name: request.name ?? `${configName} (built, seed ${seed})`,
    architecture: configName,
    source: "BUILT",
    encoder: { model: encoder.model, externalData: side(encoder) },
    decoder: { model: decoder.model, externalData: side(decoder) },
    projectId: request.projectId,
    createdById: request.createdById,
    config: { builder: { config: configName, seed } },
  });
}
