// The embed job: runs the model's image encoder on images that lack an embedding for it and stores the
// compact (float16) embedding. Idempotent: one embedding per (image, model), content-addressed key.
import type { Services } from "../../services.ts";
import type { JobContext } from "../../queue/context.ts";
import { PermanentJobError } from "../../errors.ts";
import { loadPredictor } from "../../models/load.ts";
import { decodeStoredRgb } from "../ingest/normalise.ts";
import type { JsonObject } from "../types.ts";
import type { EmbedParams } from "./params.ts";
import { computeAndStoreEmbedding, upsertEmbeddingRow } from "./store.ts";

export { embeddingKey } from "./store.ts";

export async function resolveModelVersionId(services: Services, projectId: string, requested?: string): Promise<string> {
  if (requested) {
    const model = await services.prisma.modelVersion.findUnique({ where: { id: requested }, select: { projectId: true } });
    if (!model) throw new PermanentJobError(`No model version with id "${requested}"`);
    if (model.projectId && model.projectId !== projectId) {
      throw new PermanentJobError(`Model version "${requested}" belongs to another project`);
    }
    return requested;
  }
  const project = await services.prisma.project.findUnique({ where: { id: projectId }, select: { activeModelVersionId: true } });
  if (!project?.activeModelVersionId) {
    throw new PermanentJobError("The project has no active model: import or build a model and activate it first");
  }
  return project.activeModelVersionId;
}

export async function runEmbed(ctx: JobContext<EmbedParams>): Promise<JsonObject> {
  const { services, params, job } = ctx;
  const prisma = services.prisma;
  const projectId = job.projectId!;
  const modelVersionId = await resolveModelVersionId(services, projectId, params.modelVersionId);
  const images = await prisma.image.findMany({
    where: {
      projectId,
      ...(params.imageIds ? { id: { in: params.imageIds } } : {}),
      embeddings: { none: { modelVersionId } },
    },
    select: { id: true, storageKey: true },
    orderBy: { id: "asc" },
  });
  const finished = await ctx.finishedItems();
  const todo = images.filter((image) => !finished.has(image.id));
  const total = todo.length;
  if (total === 0) {
    return { summary: "every image already has an embedding", modelVersionId, embedded: 0, failed: 0 };
  }
  const predictor = await loadPredictor(services, modelVersionId);
  let done = 0;
  for (const image of todo) {
    await ctx.checkpoint(done, total, `embedding ${done}/${total} images`);
    done++;
    try {
      const rgb = await decodeStoredRgb(await services.storage.getBytes(image.storageKey));
      const { row } = await computeAndStoreEmbedding(services, predictor, { projectId, modelVersionId, imageId: image.id }, rgb);
      const key = row.storageKey;
      await prisma.$transaction(async (tx) => {
        await upsertEmbeddingRow(tx, image.id, modelVersionId, row);
        await tx.jobItem.upsert({
          where: { jobId_key: { jobId: job.id, key: image.id } },
          create: { jobId: job.id, key: image.id, status: "DONE", result: { key } },
          update: { status: "DONE", message: null, result: { key } },
        });
      });
    } catch (error) {
      await ctx.recordItem(image.id, { status: "FAILED", message: error instanceof Error ? error.message : String(error) });
    }
  }
  await ctx.checkpoint(total, total, `embedded ${total}/${total} images`);
  const counts = await ctx.itemCounts();
  return {
    summary: `${counts.DONE} embedded, ${counts.FAILED} failed`,
    modelVersionId,
    embedded: counts.DONE,
    failed: counts.FAILED,
  };
}
