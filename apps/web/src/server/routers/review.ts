import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../audit.ts";
import { signedFileUrl } from "../files/signed-urls.ts";
import { notFound } from "../trpc/errors.ts";
import { projectProcedure, router } from "../trpc/init.ts";
import { supersededConflict } from "./mask-rules.ts";
import { decidedElsewhere } from "./review-conflict.ts";

const SORTS = {
  iou_desc: [{ predictedIou: "desc" as const }, { id: "asc" as const }],
  iou_asc: [{ predictedIou: "asc" as const }, { id: "asc" as const }],
  stability_desc: [{ stabilityScore: "desc" as const }, { id: "asc" as const }],
  stability_asc: [{ stabilityScore: "asc" as const }, { id: "asc" as const }],
  oldest: [{ createdAt: "asc" as const }, { id: "asc" as const }],
};

const queueFilter = z.object({
  minPredictedIou: z.number().min(0).max(1.5).optional(),
  maxPredictedIou: z.number().min(0).max(1.5).optional(),
  minStability: z.number().min(0).max(1).optional(),
  /** A label class id, or "none" for unlabelled masks. */
  labelClassId: z.string().min(1).optional(),
  modelVersionId: z.string().min(1).optional(),
  stage: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
});
type QueueFilter = z.infer<typeof queueFilter>;

function proposedWhere(projectId: string, f: QueueFilter) {
  return {
    projectId,
    status: "PROPOSED" as const,
    ...(f.minPredictedIou !== undefined || f.maxPredictedIou !== undefined
      ? { predictedIou: { gte: f.minPredictedIou, lte: f.maxPredictedIou } }
      : {}),
    ...(f.minStability !== undefined ? { stabilityScore: { gte: f.minStability } } : {}),
    ...(f.labelClassId === "none" ? { labelClassId: null } : f.labelClassId ? { labelClassId: f.labelClassId } : {}),
    ...(f.modelVersionId ? { modelVersionId: f.modelVersionId } : {}),
    ...(f.stage ? { stage: f.stage } : {}),
  };
}

const DECISION_STATUS = { ACCEPT: "ACCEPTED", REJECT: "REJECTED", RELABEL: "ACCEPTED" } as const;

export const reviewRouter = router({
  /** Proposed masks awaiting review, filtered and sorted (best predicted IoU first by default). */
  queue: projectProcedure("REVIEWER")
    .input(queueFilter.extend({
      sort: z.enum(Object.keys(SORTS) as [keyof typeof SORTS, ...(keyof typeof SORTS)[]]).default("iou_desc"),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(200).default(50),
    }))
    .query(async ({ ctx, input }) => {
      const where = proposedWhere(ctx.projectId, input);
      const [total, items] = await Promise.all([
        ctx.prisma.mask.count({ where }),
        ctx.prisma.mask.findMany({
          where,
          orderBy: SORTS[input.sort],
          skip: input.offset,
          take: input.limit,
          include: {
            image: { select: { id: true, fileName: true, width: true, height: true, storageKey: true } },
            labelClass: { select: { id: true, name: true, color: true } },
            modelVersion: { select: { id: true, name: true } },
          },
        }),
      ]);
      // Signed image URLs come with the items so the browser can prefetch the next images at once.
      const withUrls = await Promise.all(
        items.map(async ({ image: { storageKey, ...image }, ...mask }) => ({
          ...mask,
          image: { ...image, url: await signedFileUrl(ctx.runtime, storageKey) },
        })),
      );
      return { total, items: withUrls, offset: input.offset, limit: input.limit };
    }),

  /** Accept, reject or relabel (= set the label and accept) one mask, at the version the reviewer saw. */
  decide: projectProcedure("REVIEWER")
    .input(z.object({
      maskId: z.string().min(1),
      expectedVersion: z.number().int().min(1),
      action: z.enum(["ACCEPT", "REJECT", "RELABEL"]),
      labelClassId: z.string().min(1).nullable().optional(),
      note: z.string().max(2000).optional(),
    }))
    .mutation(async ({ ctx, input }) => {
      if (input.action === "RELABEL" && input.labelClassId === undefined) {
        throw new TRPCError({ code: "BAD_REQUEST", message: "RELABEL needs labelClassId (or null to clear the label)" });
      }
      const mask = await ctx.prisma.mask.findFirst({ where: { id: input.maskId, projectId: ctx.projectId } });
      if (!mask) throw notFound("Mask", input.maskId);
      if (mask.status === "SUPERSEDED") throw supersededConflict(mask.id, mask.supersededById);
      if (input.labelClassId) {
        const label = await ctx.prisma.labelClass.findFirst({ where: { id: input.labelClassId, projectId: ctx.projectId, archivedAt: null } });
        if (!label) throw notFound("Label class", input.labelClassId);
      }
      const toStatus = DECISION_STATUS[input.action];
      const labelClassId = input.action === "RELABEL" ? (input.labelClassId ?? null) : mask.labelClassId;
      return ctx.prisma.$transaction(async (tx) => {
        const { count } = await tx.mask.updateMany({
          where: { id: mask.id, version: input.expectedVersion, status: { not: "SUPERSEDED" } },
          data: { status: toStatus, labelClassId, reviewerId: ctx.user.id, reviewedAt: new Date(), version: { increment: 1 } },
        });
        if (count === 0) {
          const now = await tx.mask.findUnique({
            where: { id: mask.id },
            select: { version: true, status: true, reviewedAt: true, reviewer: { select: { email: true, name: true } } },
          });
          throw decidedElsewhere(mask.id, input.expectedVersion, now);
        }
        const decision = await tx.reviewDecision.create({
          data: {
            maskId: mask.id, reviewerId: ctx.user.id, action: input.action, fromStatus: mask.status, toStatus,
            maskVersion: input.expectedVersion, note: input.note,
            previous: { labelClassId: mask.labelClassId, rleChecksum: mask.rleChecksum, status: mask.status },
          },
        });
        await recordAudit(tx, {
          actorId: ctx.user.id, projectId: ctx.projectId, action: `mask.${input.action.toLowerCase()}`, entityType: "Mask", entityId: mask.id,
          data: { decisionId: decision.id, fromStatus: mask.status, toStatus },
        });
        return tx.mask.findUniqueOrThrow({ where: { id: mask.id } });
      });
    }),

  /** Accepts every proposed mask matching the filter whose predicted IoU is at least `threshold`. */
  batchAccept: projectProcedure("REVIEWER")
    .input(queueFilter.omit({ minPredictedIou: true, maxPredictedIou: true }).extend({
      threshold: z.number().min(0).max(1.5),
      limit: z.number().int().min(1).max(5000).default(1000),
    }))
    .mutation(async ({ ctx, input }) => {
      const candidates = await ctx.prisma.mask.findMany({
        where: proposedWhere(ctx.projectId, { ...input, minPredictedIou: input.threshold }),
        orderBy: SORTS.iou_desc,
        take: input.limit,
        select: { id: true, version: true, status: true, labelClassId: true, rleChecksum: true },
      });
      let accepted = 0;
      const reviewedAt = new Date();
      await ctx.prisma.$transaction(async (tx) => {
        for (const m of candidates) {
          // A mask someone changed since we read it is left for a human look.
          const { count } = await tx.mask.updateMany({
            where: { id: m.id, version: m.version, status: "PROPOSED" },
            data: { status: "ACCEPTED", reviewerId: ctx.user.id, reviewedAt, version: { increment: 1 } },
          });
          if (count === 0) continue;
          accepted++;
          await tx.reviewDecision.create({
            data: {
              maskId: m.id, reviewerId: ctx.user.id, action: "ACCEPT", fromStatus: "PROPOSED", toStatus: "ACCEPTED",
              maskVersion: m.version, note: `batch accept, predicted IoU >= ${input.threshold}`,
              previous: { labelClassId: m.labelClassId, rleChecksum: m.rleChecksum, status: m.status },
            },
          });
        }
        await recordAudit(tx, {
          actorId: ctx.user.id, projectId: ctx.projectId, action: "mask.batchAccept", entityType: "Project", entityId: ctx.projectId,
          data: { threshold: input.threshold, accepted, considered: candidates.length },
        });
      });
      return { accepted, skipped: candidates.length - accepted };
    }),

  /** The append-only decision history of one mask. */
  history: projectProcedure("REVIEWER")
    .input(z.object({ maskId: z.string().min(1) }))
    .query(async ({ ctx, input }) => {
      const mask = await ctx.prisma.mask.findFirst({ where: { id: input.maskId, projectId: ctx.projectId }, select: { id: true } });
      if (!mask) throw notFound("Mask", input.maskId);
      return ctx.prisma.reviewDecision.findMany({
        where: { maskId: mask.id },
        orderBy: { createdAt: "asc" },
        include: { reviewer: { select: { id: true, email: true, name: true } } },
      });
    }),
});
