import { z } from "zod";
import { recordAudit } from "../audit.ts";
import { adminProjectProcedure, router } from "../trpc/init.ts";
import { callWorker } from "../trpc/worker-errors.ts";

const IMAGE_STATUSES = ["NEW", "IN_PROGRESS", "ANNOTATED", "REVIEWED", "SKIPPED"] as const;

export const generateRouter = router({
  /**
   * Queues automatic mask generation over the project (or the chosen images) with its active model.
   * The worker checks everything else (AMG options, project settings, image sizes, the model) before
   * queueing, and its messages come back as BAD_REQUEST.
   */
  start: adminProjectProcedure
    .input(z.object({
      mode: z.enum(["review", "auto"]).default("review"),
      preset: z.enum(["default", "sa1b"]).optional(),
      imageIds: z.array(z.string().min(1)).min(1).max(100_000).optional(),
      statuses: z.array(z.enum(IMAGE_STATUSES)).min(1).optional(),
      amg: z.record(z.string(), z.number()).optional(),
    }))
    .mutation(async ({ ctx, input }) => {
      const job = await callWorker(() => ctx.runtime.jobs.enqueue({
        type: "GENERATE",
        projectId: ctx.projectId,
        createdById: ctx.user.id,
        params: { mode: input.mode, preset: input.preset, imageIds: input.imageIds, statuses: input.statuses, amg: input.amg },
      }));
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: ctx.projectId, action: "generate.start", entityType: "Job", entityId: job.id,
        data: { mode: input.mode, preset: input.preset ?? null, images: input.imageIds?.length ?? null },
      });
      return { jobId: job.id };
    }),
});
