import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../audit.ts";
import { adminProjectProcedure, authedProcedure, router } from "../trpc/init.ts";
import { callWorker } from "../trpc/worker-errors.ts";

export const modelsRouter = router({
  /** Shared models plus those of the caller's projects (administrators: all), with where each is active. */
  list: authedProcedure
    .input(z.object({ projectId: z.string().min(1).optional() }).default({}))
    .query(async ({ ctx, input }) => {
      const isAdmin = ctx.user.role === "ADMIN";
      const models = await ctx.prisma.modelVersion.findMany({
        where: {
          AND: [
            isAdmin ? {} : { OR: [{ projectId: null }, { project: { members: { some: { userId: ctx.user.id } } } }] },
            input.projectId ? { OR: [{ projectId: null }, { projectId: input.projectId }] } : {},
          ],
        },
        orderBy: [{ createdAt: "desc" }],
        select: {
          id: true, name: true, architecture: true, source: true, status: true, projectId: true, trainingRound: true,
          metrics: true, createdAt: true, promotedAt: true, parentId: true,
          activeIn: { select: { id: true, name: true }, ...(isAdmin ? {} : { where: { members: { some: { userId: ctx.user.id } } } }) },
        },
      });
      return models;
    }),

  /** Makes a model the one a project uses for new embeddings, generation and annotation. */
  activate: adminProjectProcedure
    .input(z.object({ modelVersionId: z.string().min(1) }))
    .mutation(async ({ ctx, input }) => {
      const model = await ctx.prisma.modelVersion.findUnique({ where: { id: input.modelVersionId } });
      if (!model) throw new TRPCError({ code: "NOT_FOUND", message: `Model ${input.modelVersionId} does not exist` });
      if (model.projectId !== null && model.projectId !== ctx.projectId) {
        throw new TRPCError({ code: "BAD_REQUEST", message: `Model ${model.name} belongs to another project` });
      }
      if (model.status === "ARCHIVED") throw new TRPCError({ code: "BAD_REQUEST", message: `Model ${model.name} is archived` });
      const previous = await ctx.prisma.project.findUniqueOrThrow({ where: { id: ctx.projectId }, select: { activeModelVersionId: true } });
      const { embedJob } = await callWorker(() =>
        ctx.runtime.jobs.activateModel({ projectId: ctx.projectId, modelVersionId: model.id, createdById: ctx.user.id }),
      );
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: ctx.projectId, action: "model.activate", entityType: "ModelVersion", entityId: model.id,
        data: { previous: previous.activeModelVersionId, embedJobId: embedJob?.id ?? null },
      });
      return { projectId: ctx.projectId, activeModelVersionId: model.id, embedJobId: embedJob?.id ?? null };
    }),
});
