// Which encoder made a model version's embeddings. A retrained version keeps its parent's image encoder
// (only the decoder is fine-tuned), so its embeddings are the parent's: they carry the id of the version
// that first shipped that encoder ("embeddingsFrom"), and the new version gets rows pointing at the same
// stored files instead of re-encoding every image.
import type { ModelVersion } from "@data-engine/db";
import type { Services } from "../services.ts";

type WithConfig = Pick<ModelVersion, "id" | "config">;

/** The model id written into (and expected from) this version's embeddings. */
export function embeddingModelId(model: WithConfig): string {
  const from = (model.config as { embeddingsFrom?: unknown } | null)?.embeddingsFrom;
  return typeof from === "string" && from ? from : model.id;
}

/** Gives `toId` an Embedding row for every image `fromId` has one for (same stored file). */
export async function shareEmbeddings(services: Services, fromId: string, toId: string): Promise<number> {
  const prisma = services.prisma;
  let shared = 0;
  let cursor: string | undefined;
  for (;;) {
    const rows = await prisma.embedding.findMany({
      where: { modelVersionId: fromId },
      orderBy: { id: "asc" },
      take: 1000,
      ...(cursor ? { skip: 1, cursor: { id: cursor } } : {}),
      select: { id: true, imageId: true, storageKey: true, dtype: true, shape: true, inputSize: true, sizeBytes: true },
    });
    if (rows.length === 0) return shared;
    const res = await prisma.embedding.createMany({
      data: rows.map(({ id: _id, ...r }) => ({ ...r, modelVersionId: toId })),
      skipDuplicates: true,
    });
    shared += res.count;
    cursor = rows[rows.length - 1]!.id;
  }
}
