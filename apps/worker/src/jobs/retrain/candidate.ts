// A new decoder for an existing model as a model version: the decoder in the public export format plus
// its throughput variant, the parent's encoder files unchanged (same storage keys), lineage to the parent
// and the dataset version, and the parent's embeddings shared (same encoder, so nothing is re-encoded).
// Used for the result of a round and for a decoder trained elsewhere (external trainer).
import { createHash } from "node:crypto";
import type { ModelSource, ModelVersion } from "@data-engine/db";
import type { Services } from "../../services.ts";
import { embeddingModelId, shareEmbeddings } from "../../models/embedding-identity.ts";

export interface DecoderVariantRequest {
  base: ModelVersion;
  projectId: string;
  source: Extract<ModelSource, "TRAINED" | "EXTERNAL">;
  /** Its training run: a re-run after a crash finds the version it made by this id. */
  trainingRunId: string;
  datasetVersionId: string;
  name: string;
  decoder: Uint8Array;
  decoderThroughput: Uint8Array;
  metrics: Record<string, unknown>;
  createdById: string | null;
  config?: Record<string, unknown>;
}

export async function registerDecoderVariant(services: Services, req: DecoderVariantRequest): Promise<ModelVersion> {
  const prisma = services.prisma;
  const made = await prisma.modelVersion.findFirst({ where: { config: { path: ["trainingRunId"], equals: req.trainingRunId } } });
  if (made) return made;
  const sha = createHash("sha256").update(req.decoder).digest("hex");
  const decoderKey = `models/${sha}/decoder.onnx`;
  const decoderThroughputKey = `models/${sha}/decoder-throughput.onnx`;
  await services.storage.put(decoderKey, req.decoder, { contentType: "application/octet-stream" });
  await services.storage.put(decoderThroughputKey, req.decoderThroughput, { contentType: "application/octet-stream" });
  const baseConfig = (req.base.config ?? {}) as Record<string, unknown>;
  const model = await prisma.modelVersion.create({
    data: {
      projectId: req.projectId,
      name: req.name,
      architecture: req.base.architecture,
      source: req.source,
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
        // The new decoder is a plain single file (no external data), whatever the parent's was.
        decoderExternalData: [],
        decoderThroughputExternalData: [],
        ...req.config,
        trainingRunId: req.trainingRunId,
        datasetVersionId: req.datasetVersionId,
        embeddingsFrom: embeddingModelId(req.base),
      },
    },
  });
  await shareEmbeddings(services, req.base.id, model.id);
  return model;
}
