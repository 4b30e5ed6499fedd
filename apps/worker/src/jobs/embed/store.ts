// Computing and storing one image's embedding, shared by the embed job and by jobs that need an
// embedding that is not there yet (generation). One embedding per (image, model), content-addressed key.
import { encodeEmbedding, type RgbImage, type SamEmbedding, type SamPredictor } from "@data-engine/sam-core";
import type { Prisma } from "../../db-types.ts";
import type { Services } from "../../services.ts";

export function embeddingKey(projectId: string, modelVersionId: string, imageId: string): string {
  return `projects/${projectId}/embeddings/${modelVersionId}/${imageId}.sam`;
}

export interface EmbeddingRowData {
  storageKey: string;
  dtype: string;
  shape: number[];
  inputSize: number;
  sizeBytes: number;
}

type Tx = Parameters<Parameters<Prisma["$transaction"]>[0]>[0];

/** Encodes the image and writes the compact (float16) blob to storage; the row is written by the caller. */
export async function computeAndStoreEmbedding(
  services: Services,
  predictor: SamPredictor,
  ids: { projectId: string; modelVersionId: string; imageId: string },
  rgb: RgbImage,
): Promise<{ embedding: SamEmbedding; row: EmbeddingRowData }> {
  const embedding = await predictor.setImage(rgb);
  const blob = encodeEmbedding(embedding, { dtype: "float16" });
  const key = embeddingKey(ids.projectId, ids.modelVersionId, ids.imageId);
  await services.storage.put(key, blob, { contentType: "application/octet-stream" });
  const row = { storageKey: key, dtype: "float16", shape: [...embedding.shape], inputSize: embedding.inputSize, sizeBytes: blob.byteLength };
  return { embedding, row };
}

/** Records the stored embedding (upsert: a re-run after a crash rewrites the same row). */
export async function upsertEmbeddingRow(tx: Tx, imageId: string, modelVersionId: string, row: EmbeddingRowData): Promise<void> {
  await tx.embedding.upsert({
    where: { imageId_modelVersionId: { imageId, modelVersionId } },
    create: { imageId, modelVersionId, ...row },
    update: row,
  });
}
