import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../audit.ts";
import { IMAGE_STATUSES, roleAtLeast } from "../domain.ts";
import { signedFileUrl } from "../files/signed-urls.ts";
import { notFound } from "../trpc/errors.ts";
import { projectProcedure, router } from "../trpc/init.ts";
import { callWorker } from "../trpc/worker-errors.ts";

export const MAX_PAGE_SIZE = 100;

const imageId = z.object({ imageId: z.string().min(1) });

/** Mirrors the worker's embeddingModelId (models/embedding-identity.ts), which this bundle may not import. */
function embeddingModelIdOf(model: { id: string; config: unknown }): string {
  const from = (model.config as { embeddingsFrom?: unknown } | null)?.embeddingsFrom;
  return typeof from === "string" && from ? from : model.id;
}

export const imagesRouter = router({
  /** One page of a project's images (newest last), with thumbnail URLs for the grid. */
  list: projectProcedure("ANNOTATOR")
    .input(
      z.object({
        status: z.enum(IMAGE_STATUSES).optional(),
        page: z.number().int().min(1).default(1),
        pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE, `pageSize is at most ${MAX_PAGE_SIZE}`).default(48),
      }),
    )
    .query(async ({ ctx, input }) => {
      const where = { projectId: ctx.projectId, ...(input.status ? { status: input.status } : {}) };
      const [total, rows] = await Promise.all([
        ctx.prisma.image.count({ where }),
        ctx.prisma.image.findMany({
          where,
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
          skip: (input.page - 1) * input.pageSize,
          take: input.pageSize,
          select: {
            id: true, fileName: true, width: true, height: true, status: true, thumbnailKey: true, storageKey: true, createdAt: true,
            _count: { select: { masks: { where: { status: { not: "SUPERSEDED" } } } } },
          },
        }),
      ]);
      const items = await Promise.all(
        rows.map(async ({ _count, thumbnailKey, storageKey, ...image }) => ({
          ...image,
          maskCount: _count.masks,
          thumbnailUrl: await signedFileUrl(ctx.runtime, thumbnailKey ?? storageKey),
        })),
      );
      return { items, total, page: input.page, pageSize: input.pageSize, pageCount: Math.max(1, Math.ceil(total / input.pageSize)) };
    }),

  /** One image with short-lived URLs for the full image and its thumbnail, and its embedding if ready. */
  get: projectProcedure("ANNOTATOR")
    .input(imageId)
    .query(async ({ ctx, input }) => {
      const image = await ctx.prisma.image.findFirst({
        where: { id: input.imageId, projectId: ctx.projectId },
        include: { project: { select: { activeModelVersionId: true } } },
      });
      if (!image) throw notFound("Image", input.imageId);
      const { project, ...rest } = image;
      const embedding = project.activeModelVersionId
        ? await ctx.prisma.embedding.findUnique({
            where: { imageId_modelVersionId: { imageId: image.id, modelVersionId: project.activeModelVersionId } },
          })
        : null;
      return {
        ...rest,
        url: await signedFileUrl(ctx.runtime, image.storageKey),
        thumbnailUrl: await signedFileUrl(ctx.runtime, image.thumbnailKey ?? image.storageKey),
        activeModelVersionId: project.activeModelVersionId,
        embedding: embedding && {
          id: embedding.id, dtype: embedding.dtype, shape: embedding.shape, inputSize: embedding.inputSize,
          url: await signedFileUrl(ctx.runtime, embedding.storageKey),
        },
      };
    }),

  /** Queues an embedding of the image with the project's active model (annotators ask for the next image early). */
  requestEmbedding: projectProcedure("ANNOTATOR")
    .input(imageId.extend({ priority: z.number().int().min(0).max(100).default(50) }))
    .mutation(async ({ ctx, input }) => {
      const image = await ctx.prisma.image.findFirst({
        where: { id: input.imageId, projectId: ctx.projectId },
        select: { id: true, project: { select: { activeModelVersionId: true } } },
      });
      if (!image) throw notFound("Image", input.imageId);
      const modelVersionId = image.project.activeModelVersionId;
      if (!modelVersionId) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "The project has no active model; an administrator must activate one first" });
      const existing = await ctx.prisma.embedding.findUnique({ where: { imageId_modelVersionId: { imageId: image.id, modelVersionId } }, select: { id: true } });
      if (existing) return { status: "ready" as const, embeddingId: existing.id, jobId: null };
      // Opening the same image twice (or in two tabs) must not queue the work twice.
      const pending = await ctx.prisma.job.findFirst({
        where: { projectId: ctx.projectId, type: "EMBED", status: { in: ["QUEUED", "RUNNING"] }, params: { equals: { imageIds: [image.id], modelVersionId } } },
        select: { id: true },
      });
      if (pending) return { status: "queued" as const, embeddingId: null, jobId: pending.id };
      const job = await callWorker(() => ctx.runtime.jobs.enqueue({
        type: "EMBED", projectId: ctx.projectId, params: { imageIds: [image.id], modelVersionId },
        createdById: ctx.user.id, priority: input.priority,
      }));
      return { status: "queued" as const, embeddingId: null, jobId: job.id };
    }),

  /**
   * What the annotator needs to run SAM in the browser: the project's active model, the model id its
   * embeddings carry, and a short-lived URL of its decoder.
   */
  decoder: projectProcedure("ANNOTATOR").query(async ({ ctx }) => {
    const project = await ctx.prisma.project.findUniqueOrThrow({
      where: { id: ctx.projectId },
      select: { activeModelVersion: { select: { id: true, name: true, architecture: true, decoderKey: true, decoderSha256: true, config: true } } },
    });
    const model = project.activeModelVersion;
    if (!model) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "The project has no active model; an administrator must activate one first" });
    return {
      modelVersionId: model.id, name: model.name, architecture: model.architecture, decoderSha256: model.decoderSha256,
      // The id the embeddings carry: a retrained version keeps its parent's encoder, so its embeddings are
      // its ancestor's (the worker's models/embedding-identity.ts); the decoder checks it against this.
      embeddingModelId: embeddingModelIdOf(model),
      decoderUrl: await signedFileUrl(ctx.runtime, model.decoderKey),
    };
  }),

  /**
   * The image's embedding for the active model: "ready" with a short-lived URL, or how far its computation
   * is ("queued"/"running" with the job's progress, "failed" with the reason, "none" when nobody asked).
   */
  embedding: projectProcedure("ANNOTATOR")
    .input(imageId)
    .query(async ({ ctx, input }) => {
      const image = await ctx.prisma.image.findFirst({
        where: { id: input.imageId, projectId: ctx.projectId },
        select: { id: true, project: { select: { activeModelVersionId: true } } },
      });
      if (!image) throw notFound("Image", input.imageId);
      const modelVersionId = image.project.activeModelVersionId;
      const base = { imageId: image.id, modelVersionId, url: null as string | null, jobId: null as string | null, progress: 0, message: null as string | null };
      if (!modelVersionId) return { ...base, status: "no-model" as const, message: "The project has no active model" };
      const embedding = await ctx.prisma.embedding.findUnique({ where: { imageId_modelVersionId: { imageId: image.id, modelVersionId } } });
      if (embedding) return { ...base, status: "ready" as const, progress: 100, url: await signedFileUrl(ctx.runtime, embedding.storageKey) };
      // Embed jobs name their images (or none: every image of the project); few run at once.
      const jobs = await ctx.prisma.job.findMany({
        where: { projectId: ctx.projectId, type: "EMBED" },
        orderBy: { createdAt: "desc" },
        take: 20,
        select: { id: true, status: true, progress: true, progressMessage: true, error: true, params: true },
      });
      const covers = (params: unknown) => {
        const p = (params ?? {}) as { imageIds?: unknown; modelVersionId?: unknown };
        if (p.modelVersionId !== undefined && p.modelVersionId !== modelVersionId) return false;
        return !Array.isArray(p.imageIds) || p.imageIds.includes(image.id);
      };
      const job = jobs.find((j) => covers(j.params));
      if (!job) return { ...base, status: "none" as const };
      const running = job.status === "QUEUED" || job.status === "RUNNING";
      if (running) return { ...base, status: job.status === "QUEUED" ? ("queued" as const) : ("running" as const), jobId: job.id, progress: job.progress, message: job.progressMessage };
      if (job.status === "SUCCEEDED") return { ...base, status: "none" as const, jobId: job.id };
      return { ...base, status: "failed" as const, jobId: job.id, message: job.error ?? `the embedding job ended ${job.status.toLowerCase()}` };
    }),

  /** The images before and after this one (creation order), for "next image" and embedding preloads. */
  neighbors: projectProcedure("ANNOTATOR")
    .input(imageId.extend({ after: z.number().int().min(0).max(10).default(3) }))
    .query(async ({ ctx, input }) => {
      const image = await ctx.prisma.image.findFirst({ where: { id: input.imageId, projectId: ctx.projectId }, select: { id: true, createdAt: true } });
      if (!image) throw notFound("Image", input.imageId);
      const select = { id: true, fileName: true, status: true } as const;
      const [previous, next] = await Promise.all([
        ctx.prisma.image.findFirst({
          where: { projectId: ctx.projectId, OR: [{ createdAt: { lt: image.createdAt } }, { createdAt: image.createdAt, id: { lt: image.id } }] },
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
          select,
        }),
        input.after === 0
          ? Promise.resolve([])
          : ctx.prisma.image.findMany({
              where: { projectId: ctx.projectId, OR: [{ createdAt: { gt: image.createdAt } }, { createdAt: image.createdAt, id: { gt: image.id } }] },
              orderBy: [{ createdAt: "asc" }, { id: "asc" }],
              take: input.after,
              select,
            }),
      ]);
      return { previous, next };
    }),

  /** Annotators move an image through their workflow; only reviewers mark it REVIEWED. */
  setStatus: projectProcedure("ANNOTATOR")
    .input(imageId.extend({ status: z.enum(IMAGE_STATUSES) }))
    .mutation(async ({ ctx, input }) => {
      if (input.status === "REVIEWED" && !roleAtLeast(ctx.projectRole, "REVIEWER")) {
        throw new TRPCError({ code: "FORBIDDEN", message: "Only reviewers can mark an image as reviewed" });
      }
      const { count } = await ctx.prisma.image.updateMany({ where: { id: input.imageId, projectId: ctx.projectId }, data: { status: input.status } });
      if (count === 0) throw notFound("Image", input.imageId);
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: ctx.projectId, action: "image.setStatus", entityType: "Image", entityId: input.imageId, data: { status: input.status },
      });
      return { id: input.imageId, status: input.status };
    }),
});
