// The result of a round as a model version: the fine-tuned decoder in the public export format plus its
// throughput variant, the parent's encoder files unchanged (same storage keys), lineage to the parent and
// the dataset version, and the parent's embeddings shared (same encoder, so nothing is re-encoded).
import { createHash } from "node:crypto";
import type { ModelVersion } from "@data-engine/db";
import type { DecoderConfig, WeightMap } from "@data-engine/sam-core";
import { exportDecoder } from "@data-engine/sam-train";
import type { Services } from "../../services.ts";
import { embeddingModelId, shareEmbeddings } from "../../models/embedding-identity.ts";

export interface CandidateRequest {
  base: ModelVersion;
  projectId: string;
  trainingRunId: string;
  datasetVersionId: string;
  name: string;
  config: DecoderConfig;
  weights: WeightMap;
  metrics: Record<string, unknown>;
  createdById: string | null;
}

export async function registerCandidate(services: Services, req: CandidateRequest): Promise<ModelVersion> {
  const prisma = services.prisma;
  // A re-run after a crash between registration and the run's update finds the version it made.
  const made = await prisma.modelVersion.findFirst({ where: { config: { path: ["trainingRunId"], equals: req.trainingRunId } } });
  if (made) return made;
  const files = exportDecoder(req.config, req.weights);
  const sha = createHash("sha256").update(files.decoder).digest("hex");
  const decoderKey = `models/${sha}/decoder.onnx`;
  const decoderThroughputKey = `models/${sha}/decoder-throughput.onnx`;
  await services.storage.put(decoderKey, files.decoder, { contentType: "application/octet-stream" });
  await services.storage.put(decoderThroughputKey, files.decoderThroughput, { contentType: "application/octet-stream" });
  const baseConfig = (req.base.config ?? {}) as Record<string, unknown>;
  const model = await prisma.modelVersion.create({
    data: {
      projectId: req.projectId,
      name: req.name,
      architecture: req.base.architecture,
      source: "TRAINED",
      encoderKey: req.base.encoderKey,
      encoderSha256: req.base.encoderSha256,
      decoderKey,
      decoderThroughputKey,
      decoderSha256: sha,
      parentId: req.base.id,
      trainingRound: req.base.trainingRound + 1,
      status: "CANDIDATE",
      metrics: req.metrics as never,
      createdById: req.createdById,
      config: {
        ...baseConfig,
        // The exported decoder is a plain single file (no external data), whatever the parent's was.
        decoderExternalData: [],
        decoderThroughputExternalData: [],
        decoder: req.config as never,
        trainingRunId: req.trainingRunId,
        datasetVersionId: req.datasetVersionId,
        embeddingsFrom: embeddingModelId(req.base),
      },
    },
  });
  await shareEmbeddings(services, req.base.id, model.id);
  return model;
}
