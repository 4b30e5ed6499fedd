import type { PrismaClient } from "@data-engine/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../audit.ts";
import { discardUpload, uploadedModelPath } from "../files/model-uploads.ts";
import { UploadError } from "../files/upload-http.ts";
import { adminProcedure, adminProjectProcedure, authedProcedure, router } from "../trpc/init.ts";
import { callWorker } from "../trpc/worker-errors.ts";

const UPLOAD_CODES: Record<number, TRPCError["code"]> = { 400: "BAD_REQUEST", 404: "NOT_FOUND" };

/** Where a new model may be used: one project, or (null) every project. */
const modelScope = z.object({ projectId: z.string().min(1).nullable().default(null) });

async function requireProject(ctx: { prisma: PrismaClient }, projectId: string | null) {
  if (projectId && !(await ctx.prisma.project.findUnique({ where: { id: projectId }, select: { id: true } }))) {
    throw new TRPCError({ code: "NOT_FOUND", message: `Project ${projectId} does not exist` });
  }
}

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

  /**
   * Registers a public SAM export pair (encoder + decoder .onnx): files uploaded from the browser
   * (/api/uploads/models), or paths on the server (external-data files next to them are picked up).
   * The worker's import checks the pair with sam-core's inspect; a wrong file is refused with the reason.
   */
  import: adminProcedure
    .input(
      modelScope.extend({
        name: z.string().trim().min(1, "the model needs a name").max(120),
        architecture: z.string().trim().min(1).max(40).optional(),
        files: z.discriminatedUnion("from", [
          z.object({ from: z.literal("upload"), encoderUploadId: z.string().min(1), decoderUploadId: z.string().min(1) }),
          z.object({ from: z.literal("server"), encoderPath: z.string().trim().min(1), decoderPath: z.string().trim().min(1) }),
        ]),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await requireProject(ctx, input.projectId);
      const f = input.files;
      let paths: { encoderPath: string; decoderPath: string };
      try {
        paths = f.from === "upload"
          ? { encoderPath: await uploadedModelPath(ctx.runtime, f.encoderUploadId, "encoder"), decoderPath: await uploadedModelPath(ctx.runtime, f.decoderUploadId, "decoder") }
          : { encoderPath: f.encoderPath, decoderPath: f.decoderPath };
      } catch (err) {
        if (err instanceof UploadError) throw new TRPCError({ code: UPLOAD_CODES[err.status] ?? "BAD_REQUEST", message: err.message });
        throw err;
      }
      const model = await callWorker(() =>
        ctx.runtime.models.importFiles({ ...paths, name: input.name, architecture: input.architecture, projectId: input.projectId, createdById: ctx.user.id }),
      );
      if (f.from === "upload") {
        await discardUpload(ctx.runtime, f.encoderUploadId, "encoder");
        await discardUpload(ctx.runtime, f.decoderUploadId, "decoder");
      }
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: input.projectId, action: "model.import", entityType: "ModelVersion", entityId: model.id,
        data: { from: f.from, name: model.name, ...(f.from === "server" ? paths : {}) },
      });
      return { id: model.id, name: model.name };
    }),

  /** Builds a SAM-architecture model with seeded weights (sam-core's builder): a demo until a real one is imported. */
  buildDemo: adminProcedure
    .input(modelScope.extend({ config: z.enum(["tiny", "vit_b"]).default("tiny"), seed: z.number().int().min(0).max(2 ** 31).optional(), name: z.string().trim().min(1).max(120).optional() }))
    .mutation(async ({ ctx, input }) => {
      await requireProject(ctx, input.projectId);
      const model = await callWorker(() =>
        ctx.runtime.models.buildDemo({ config: input.config, seed: input.seed, name: input.name, projectId: input.projectId, createdById: ctx.user.id }),
      );
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: input.projectId, action: "model.build", entityType: "ModelVersion", entityId: model.id,
        data: { config: input.config, seed: input.seed ?? null },
      });
      return { id: model.id, name: model.name };
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
