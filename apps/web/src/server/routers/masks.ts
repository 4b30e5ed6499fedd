import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../audit.ts";
import { MASK_STATUSES } from "../domain.ts";
import { notFound } from "../trpc/errors.ts";
import { projectProcedure, router } from "../trpc/init.ts";
import type { Context } from "../trpc/context.ts";
import { assertMayEdit, rleChecksum, staleVersion, supersededConflict } from "./mask-rules.ts";

// COCO compressed RLE counts use the characters 48..111 ("0".."o").
const rleCounts = z.string().min(1, "rle must not be empty").max(4_000_000).regex(/^[0-o]+$/, "rle must be a COCO compressed RLE counts string");
const prompts = z.record(z.string(), z.unknown());

async function describeForImage(ctx: Context, imageId: string, projectId: string, counts: string) {
  const image = await ctx.prisma.image.findFirst({ where: { id: imageId, projectId }, select: { id: true, width: true, height: true, status: true } });
  if (!image) throw notFound("Image", imageId);
  let geometry: { area: number; bbox: [number, number, number, number] };
  try {
    geometry = ctx.runtime.maskGeometry.describe(counts, [image.height, image.width]);
  } catch (err) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `rle does not describe a ${image.width}x${image.height} mask: ${(err as Error).message}` });
  }
  if (geometry.area === 0) throw new TRPCError({ code: "BAD_REQUEST", message: "The mask is empty (no pixel set)" });
  return { image, ...geometry };
}

async function assertLabel(ctx: Context, projectId: string, labelClassId: string | null | undefined): Promise<void> {
  if (!labelClassId) return;
  const label = await ctx.prisma.labelClass.findFirst({ where: { id: labelClassId, projectId }, select: { archivedAt: true } });
  if (!label) throw notFound("Label class", labelClassId);
  if (label.archivedAt) throw new TRPCError({ code: "BAD_REQUEST", message: `Label class ${labelClassId} is archived` });
}

export const masksRouter = router({
  /** The masks of one image (live ones by default: SUPERSEDED rows are history). */
  list: projectProcedure("ANNOTATOR")
    .input(z.object({ imageId: z.string().min(1), statuses: z.array(z.enum(MASK_STATUSES)).default(["PROPOSED", "ACCEPTED", "REJECTED"]) }))
    .query(async ({ ctx, input }) => {
      const image = await ctx.prisma.image.findFirst({ where: { id: input.imageId, projectId: ctx.projectId }, select: { id: true } });
      if (!image) throw notFound("Image", input.imageId);
      return ctx.prisma.mask.findMany({
        where: { imageId: image.id, status: { in: input.statuses } },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      });
    }),

  create: projectProcedure("ANNOTATOR")
    .input(
      z.object({
        imageId: z.string().min(1),
        labelClassId: z.string().min(1).nullable().optional(),
        rle: rleCounts,
        // AUTO masks come from generation jobs, never through the API.
        source: z.enum(["MANUAL", "ASSISTED"]).default("ASSISTED"),
        stage: z.union([z.literal(1), z.literal(2)]).default(1),
        predictedIou: z.number().min(0).max(1.5).optional(),
        stabilityScore: z.number().min(0).max(1).optional(),
        prompts: prompts.optional(),
        timeSpentMs: z.number().int().min(0).max(24 * 3600 * 1000).optional(),
        clicks: z.number().int().min(0).max(100_000).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { image, area, bbox } = await describeForImage(ctx, input.imageId, ctx.projectId, input.rle);
      await assertLabel(ctx, ctx.projectId, input.labelClassId);
      const project = await ctx.prisma.project.findUniqueOrThrow({ where: { id: ctx.projectId }, select: { activeModelVersionId: true } });
      return ctx.prisma.$transaction(async (tx) => {
        const mask = await tx.mask.create({
          data: {
            projectId: ctx.projectId, imageId: image.id, labelClassId: input.labelClassId ?? null,
            rle: input.rle, rleChecksum: rleChecksum(input.rle), bbox, area,
            source: input.source, stage: input.stage, status: "PROPOSED",
            predictedIou: input.predictedIou, stabilityScore: input.stabilityScore,
            prompts: input.prompts ? JSON.parse(JSON.stringify(input.prompts)) : undefined,
            modelVersionId: input.source === "ASSISTED" ? project.activeModelVersionId : null,
            authorId: ctx.user.id, timeSpentMs: input.timeSpentMs, clicks: input.clicks,
          },
        });
        if (image.status === "NEW") await tx.image.update({ where: { id: image.id }, data: { status: "IN_PROGRESS" } });
        await recordAudit(tx, {
          actorId: ctx.user.id, projectId: ctx.projectId, action: "mask.create", entityType: "Mask", entityId: mask.id,
          data: { imageId: image.id, area, labelClassId: mask.labelClassId },
        });
        return mask;
      });
    }),

  /**
   * Optimistic concurrency: the caller names the version it read. A label change updates the row; a new
   * shape supersedes it with a fresh PROPOSED mask (the old row stays as history), so review decisions
   * always refer to the exact pixels that were reviewed.
   */
  update: projectProcedure("ANNOTATOR")
    .input(
      z.object({
        maskId: z.string().min(1),
        expectedVersion: z.number().int().min(1),
        labelClassId: z.string().min(1).nullable().optional(),
        rle: rleCounts.optional(),
        timeSpentMs: z.number().int().min(0).max(24 * 3600 * 1000).optional(),
        clicks: z.number().int().min(0).max(100_000).optional(),
        prompts: prompts.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const mask = await ctx.prisma.mask.findFirst({ where: { id: input.maskId, projectId: ctx.projectId } });
      if (!mask) throw notFound("Mask", input.maskId);
      if (mask.status === "SUPERSEDED") throw supersededConflict(mask.id, mask.supersededById);
      if (mask.version !== input.expectedVersion) throw staleVersion(mask.id, input.expectedVersion, mask.version);
      assertMayEdit(ctx.projectRole, mask.status);
      await assertLabel(ctx, ctx.projectId, input.labelClassId);
      const labelClassId = input.labelClassId === undefined ? mask.labelClassId : input.labelClassId;
      const reshaped = input.rle !== undefined && input.rle !== mask.rle;
      const geometry = reshaped ? await describeForImage(ctx, mask.imageId, ctx.projectId, input.rle!) : null;

      return ctx.prisma.$transaction(async (tx) => {
        const claimed = await tx.mask.updateMany({
          where: { id: mask.id, version: input.expectedVersion, status: { not: "SUPERSEDED" } },
          data: reshaped ? { status: "SUPERSEDED", version: { increment: 1 } } : { labelClassId, version: { increment: 1 } },
        });
        if (claimed.count === 0) {
          const now = await tx.mask.findUnique({ where: { id: mask.id }, select: { version: true } });
          throw staleVersion(mask.id, input.expectedVersion, now?.version ?? null);
        }
        if (!reshaped) {
          const updated = await tx.mask.findUniqueOrThrow({ where: { id: mask.id } });
          await recordAudit(tx, {
            actorId: ctx.user.id, projectId: ctx.projectId, action: "mask.relabel", entityType: "Mask", entityId: mask.id,
            data: { from: mask.labelClassId, to: labelClassId, version: updated.version },
          });
          return updated;
        }
        const replacement = await tx.mask.create({
          data: {
            projectId: mask.projectId, imageId: mask.imageId, labelClassId,
            rle: input.rle!, rleChecksum: rleChecksum(input.rle!), bbox: geometry!.bbox, area: geometry!.area,
            // A human reshaped it: it is no longer a purely automatic mask.
            source: mask.source === "AUTO" ? "ASSISTED" : mask.source, stage: mask.stage, status: "PROPOSED",
            prompts: input.prompts ? JSON.parse(JSON.stringify(input.prompts)) : (mask.prompts ?? undefined),
            modelVersionId: mask.modelVersionId, authorId: ctx.user.id,
            timeSpentMs: (mask.timeSpentMs ?? 0) + (input.timeSpentMs ?? 0),
            clicks: (mask.clicks ?? 0) + (input.clicks ?? 0),
          },
        });
        await tx.mask.update({ where: { id: mask.id }, data: { supersededById: replacement.id } });
        await recordAudit(tx, {
          actorId: ctx.user.id, projectId: ctx.projectId, action: "mask.reshape", entityType: "Mask", entityId: replacement.id,
          data: { replaces: mask.id, area: replacement.area },
        });
        return replacement;
      });
    }),

  /** Deleting marks the mask SUPERSEDED with no replacement: it leaves review and export, history stays. */
  delete: projectProcedure("ANNOTATOR")
    .input(z.object({ maskId: z.string().min(1), expectedVersion: z.number().int().min(1) }))
    .mutation(async ({ ctx, input }) => {
      const mask = await ctx.prisma.mask.findFirst({ where: { id: input.maskId, projectId: ctx.projectId } });
      if (!mask) throw notFound("Mask", input.maskId);
      if (mask.status === "SUPERSEDED") throw supersededConflict(mask.id, mask.supersededById);
      assertMayEdit(ctx.projectRole, mask.status);
      return ctx.prisma.$transaction(async (tx) => {
        const { count } = await tx.mask.updateMany({
          where: { id: mask.id, version: input.expectedVersion, status: { not: "SUPERSEDED" } },
          data: { status: "SUPERSEDED", version: { increment: 1 } },
        });
        if (count === 0) {
          const now = await tx.mask.findUnique({ where: { id: mask.id }, select: { version: true } });
          throw staleVersion(mask.id, input.expectedVersion, now?.version ?? null);
        }
        await recordAudit(tx, {
          actorId: ctx.user.id, projectId: ctx.projectId, action: "mask.delete", entityType: "Mask", entityId: mask.id,
          data: { fromStatus: mask.status },
        });
        return { id: mask.id, status: "SUPERSEDED" as const, version: input.expectedVersion + 1 };
      });
    }),
});
