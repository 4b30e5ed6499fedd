// Retraining rounds for administrators: start one (the worker's RETRAIN job), follow it, compare the
// held-out metrics of the base model and the candidate, promote a candidate that beat the active model,
// roll back. The worker decides and enforces the rules (parameters, promotion); this router checks the
// session and the role, and shows the worker's reasons as they are.
import { z } from "zod";
import { recordAudit } from "../audit.ts";
import { MASK_STATUSES } from "../domain.ts";
import { adminProjectProcedure, router } from "../trpc/init.ts";
import { callWorker } from "../trpc/worker-errors.ts";

/** Held-out metrics as the worker stores them (sam-train's evaluation). */
export interface HeldOutMetrics {
  masks: number;
  images: number;
  mIoU1Click: number;
  mIoUBox: number;
  mIoUClicks: number[];
  iouCalibrationMae: number;
}

export const trainingRouter = router({
  /** Rounds of the project, newest first, with their job's live progress and whether their candidate can be promoted. */
  list: adminProjectProcedure.query(async ({ ctx }) => {
    const [runs, project] = await Promise.all([
      ctx.prisma.trainingRun.findMany({
        where: { projectId: ctx.projectId },
        orderBy: { createdAt: "desc" },
        take: 50,
        include: {
          baseModel: { select: { id: true, name: true, trainingRound: true } },
          producedModel: { select: { id: true, name: true, status: true, source: true, parentId: true, metrics: true, trainingRound: true } },
          datasetVersion: { select: { id: true, name: true, maskCount: true, imageCount: true, checksum: true } },
          job: { select: { id: true, status: true, progress: true, progressMessage: true, error: true } },
        },
      }),
      ctx.prisma.project.findUniqueOrThrow({
        where: { id: ctx.projectId },
        select: { activeModelVersion: { select: { id: true, name: true, parentId: true, source: true, trainingRound: true } } },
      }),
    ]);
    const active = project.activeModelVersion;
    return {
      active,
      // Rollback goes to the active model's parent; offered when there is one.
      canRollback: Boolean(active?.parentId),
      runs: runs.map((r) => {
        // A job that died after its retries leaves the run RUNNING; the job's status is the truth then.
        const jobEnded = r.job && ["FAILED", "DEAD", "CANCELLED"].includes(r.job.status);
        const status = jobEnded && (r.status === "RUNNING" || r.status === "QUEUED") ? (r.job!.status === "CANCELLED" ? "CANCELLED" : "FAILED") : r.status;
        const check = r.producedModel ? ctx.runtime.jobs.promotionCheck(r.producedModel, active?.id ?? null) : null;
        const heldOutMasks = (r.metrics as HeldOutMetrics | null)?.masks ?? (r.baseMetrics as HeldOutMetrics | null)?.masks ?? null;
        return {
          id: r.id,
          status,
          error: r.error ?? (jobEnded ? r.job!.error : null),
          external: Boolean((r.config as { external?: boolean } | null)?.external),
          step: r.step,
          totalSteps: r.totalSteps,
          lastLoss: r.lastLoss,
          createdAt: r.createdAt,
          finishedAt: r.finishedAt,
          baseModel: r.baseModel,
          candidate: r.producedModel && { id: r.producedModel.id, name: r.producedModel.name, status: r.producedModel.status, isActive: r.producedModel.id === active?.id },
          dataset: r.datasetVersion,
          heldOutMasks,
          baseMetrics: r.baseMetrics as HeldOutMetrics | null,
          metrics: r.metrics as HeldOutMetrics | null,
          promotable: check?.allowed ?? false,
          whyNot: check && !check.allowed ? check.reason : null,
          job: r.job,
        };
      }),
    };
  }),

  /** Queues a round on the accepted masks (or the chosen statuses / stages / labels) with the active model as base. */
  start: adminProjectProcedure
    .input(z.object({
      name: z.string().trim().min(1).max(200).optional(),
      steps: z.int().min(1).max(100_000).default(200),
      trainable: z.enum(["all", "heads"]).default("all"),
      lr: z.number().positive().max(1).default(1e-4),
      heldOutFraction: z.number().gt(0).lt(1).default(0.2),
      statuses: z.array(z.enum(MASK_STATUSES)).min(1).default(["ACCEPTED"]),
      stages: z.array(z.union([z.literal(1), z.literal(2), z.literal(3)])).min(1).optional(),
      labelClassIds: z.array(z.string().min(1)).min(1).optional(),
      /** The paper's 20:1 focal:dice, or dice only (for weak bases that collapse under the focal term). */
      loss: z.enum(["paper", "dice"]).default("paper"),
    }))
    .mutation(async ({ ctx, input }) => {
      const job = await callWorker(() => ctx.runtime.jobs.enqueue({
        type: "RETRAIN",
        projectId: ctx.projectId,
        createdById: ctx.user.id,
        params: {
          name: input.name,
          heldOutFraction: input.heldOutFraction,
          filter: { statuses: input.statuses, stages: input.stages, labels: input.labelClassIds },
          trainer: {
            steps: input.steps, trainable: input.trainable, lr: input.lr,
            loss: input.loss === "paper" ? { focal: 20, dice: 1, iou: 1 } : { focal: 0, dice: 1, iou: 1 },
          },
        },
      }));
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: ctx.projectId, action: "training.start", entityType: "Job", entityId: job.id,
        data: { steps: input.steps, trainable: input.trainable, lr: input.lr, loss: input.loss },
      });
      return { jobId: job.id };
    }),

  /** Makes a round's candidate the active model; the worker refuses unless it beat the active model on the held-out masks. */
  promote: adminProjectProcedure
    .input(z.object({ modelVersionId: z.string().min(1) }))
    .mutation(async ({ ctx, input }) => {
      const { previousId } = await callWorker(() =>
        ctx.runtime.jobs.promoteModel({ projectId: ctx.projectId, modelVersionId: input.modelVersionId, createdById: ctx.user.id }),
      );
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: ctx.projectId, action: "model.promote", entityType: "ModelVersion", entityId: input.modelVersionId,
        data: { previous: previousId },
      });
      return { activeModelVersionId: input.modelVersionId, previousId };
    }),

  /** Re-activates the model the active one replaced. */
  rollback: adminProjectProcedure.mutation(async ({ ctx }) => {
    const { model, rolledBackId } = await callWorker(() => ctx.runtime.jobs.rollbackModel({ projectId: ctx.projectId, createdById: ctx.user.id }));
    await recordAudit(ctx.prisma, {
      actorId: ctx.user.id, projectId: ctx.projectId, action: "model.rollback", entityType: "ModelVersion", entityId: model.id,
      data: { rolledBack: rolledBackId },
    });
    return { activeModelVersionId: model.id, rolledBackId };
  }),
});
