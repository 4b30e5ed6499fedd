import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../audit.ts";
import { MASK_STATUSES } from "../domain.ts";
import { signedFileUrl } from "../files/signed-urls.ts";
import { notFound } from "../trpc/errors.ts";
import { adminProjectProcedure, projectProcedure, router } from "../trpc/init.ts";
import { callWorker } from "../trpc/worker-errors.ts";

export const EXPORT_FORMATS = ["sa1b", "coco"] as const;

/** Download links are handed out on click, so they only need to outlive the click. */
export const DOWNLOAD_URL_SECONDS = 5 * 60;

export const exportsRouter = router({
  /**
   * Queues an export job; the job freezes the selected masks into a dataset version (listed below once it
   * starts) and writes the files.
   */
  start: adminProjectProcedure
    .input(z.object({
      name: z.string().trim().min(1).max(200),
      formats: z.array(z.enum(EXPORT_FORMATS)).min(1, "choose at least one format").default(["sa1b", "coco"]),
      statuses: z.array(z.enum(MASK_STATUSES)).min(1).default(["ACCEPTED"]),
      stages: z.array(z.union([z.literal(1), z.literal(2), z.literal(3)])).min(1).optional(),
      labelClassIds: z.array(z.string().min(1)).min(1).optional(),
      modelVersionId: z.string().min(1).optional(),
      createdFrom: z.iso.datetime({ offset: true }).optional(),
      createdTo: z.iso.datetime({ offset: true }).optional(),
      polygons: z.boolean().default(false),
      pngMasks: z.boolean().default(false),
      includeImages: z.boolean().default(false),
      layout: z.enum(["archive", "folder"]).default("archive"),
    }))
    .mutation(async ({ ctx, input }) => {
      if (input.createdFrom && input.createdTo && Date.parse(input.createdFrom) >= Date.parse(input.createdTo)) {
        throw new TRPCError({ code: "BAD_REQUEST", message: "createdFrom must be before createdTo" });
      }
      if (input.labelClassIds) {
        const found = await ctx.prisma.labelClass.count({ where: { projectId: ctx.projectId, id: { in: input.labelClassIds } } });
        if (found !== new Set(input.labelClassIds).size) throw new TRPCError({ code: "BAD_REQUEST", message: "labelClassIds names a label class that is not in this project" });
      }
      const job = await callWorker(() => ctx.runtime.jobs.enqueue({
        type: "EXPORT",
        projectId: ctx.projectId,
        createdById: ctx.user.id,
        params: {
          name: input.name,
          filter: {
            statuses: input.statuses, stages: input.stages, labels: input.labelClassIds, modelVersionId: input.modelVersionId,
            createdFrom: input.createdFrom, createdTo: input.createdTo,
          },
          options: { formats: input.formats, polygons: input.polygons, pngMasks: input.pngMasks, includeImages: input.includeImages, layout: input.layout },
        },
      }));
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: ctx.projectId, action: "export.start", entityType: "Job", entityId: job.id,
        data: { name: input.name, formats: input.formats },
      });
      return { jobId: job.id };
    }),

  list: projectProcedure("REVIEWER").query(({ ctx }) =>
    ctx.prisma.datasetVersion.findMany({
      where: { projectId: ctx.projectId, kind: "EXPORT" },
      orderBy: { createdAt: "desc" },
      include: { job: { select: { id: true, status: true, progress: true, progressMessage: true } } },
    }),
  ),

  /** Export jobs that have not produced a dataset version yet (queued) or never will (failed before it). */
  pendingJobs: projectProcedure("REVIEWER").query(({ ctx }) =>
    ctx.prisma.job.findMany({
      where: { projectId: ctx.projectId, type: "EXPORT", datasetVersions: { none: {} } },
      orderBy: { createdAt: "desc" },
      take: 20,
      select: { id: true, status: true, progress: true, progressMessage: true, error: true, params: true, createdAt: true },
    }),
  ),

  downloadUrl: projectProcedure("REVIEWER")
    .input(z.object({ datasetVersionId: z.string().min(1) }))
    .query(async ({ ctx, input }) => {
      const dataset = await ctx.prisma.datasetVersion.findFirst({ where: { id: input.datasetVersionId, projectId: ctx.projectId, kind: "EXPORT" } });
      if (!dataset) throw notFound("Export", input.datasetVersionId);
      if (dataset.status !== "READY" || !dataset.storageKey) {
        throw new TRPCError({ code: "PRECONDITION_FAILED", message: `Export "${dataset.name}" is ${dataset.status.toLowerCase()}, not ready to download` });
      }
      const info = await ctx.runtime.storage.head(dataset.storageKey);
      if (!info) {
        throw new TRPCError({ code: "PRECONDITION_FAILED", message: `Export "${dataset.name}" was written as a folder (${dataset.storageKey}), not an archive` });
      }
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: ctx.projectId, action: "export.download", entityType: "DatasetVersion", entityId: dataset.id,
      });
      const expiresInSeconds = DOWNLOAD_URL_SECONDS;
      return {
        url: await signedFileUrl(ctx.runtime, dataset.storageKey, expiresInSeconds),
        sizeBytes: info.size,
        fileName: dataset.storageKey.split("/").pop() ?? `${dataset.id}.tar.gz`,
        expiresAt: new Date(Date.now() + expiresInSeconds * 1000),
      };
    }),
});
