// What the paper tracked through the data engine, as SQL aggregates over one project: masks per stage
// over time, seconds per mask, masks per image, acceptance rate of automatic masks, model metrics per
// training round. Each query is one grouped pass over the project's rows; the filters lead with
// "projectId" so the Mask indexes ([projectId, stage, createdAt], [projectId, status, predictedIou],
// [imageId, status]) narrow the scan to the project.
//
// Counting rules: a SUPERSEDED row is the history of an edited mask (its replacement carries the time
// spent so far), so it never counts as a mask of its own; REJECTED masks are not collected masks.
import { z } from "zod";
import { projectProcedure, router } from "../trpc/init.ts";

export const DASHBOARD_BUCKETS = ["day", "week", "month"] as const;
export type DashboardBucket = (typeof DASHBOARD_BUCKETS)[number];

export interface StageCount { t: Date; stage: number; n: number }
export interface StageTime { t: Date; stage: number; n: number; meanSeconds: number; medianSeconds: number; meanClicks: number | null }
export interface ImageHistogramRow { masks: number; images: number }
export interface AcceptanceRow { t: Date; accepted: number; rejected: number }
export interface ModelAcceptanceRow { modelVersionId: string | null; accepted: number; rejected: number }
export interface StatusCount { status: string; source: string; stage: number; n: number }

/** Numeric leaves of a metrics JSON object, by dotted path ("mIoU.1click": 0.71). */
export function numericMetrics(value: unknown, prefix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof value === "number" && Number.isFinite(value)) {
    if (prefix) out[prefix] = value;
    return out;
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) Object.assign(out, numericMetrics(v, prefix ? `${prefix}.${k}` : k));
  }
  return out;
}

/** The headline held-out numbers of a round's evaluation (sam-train's EvalResult as the worker stores it). */
function roundMetrics(value: unknown): { oneClick: number; box: number; lastClick: number; clicks: number; calibration: number } | null {
  const m = value as { mIoU1Click?: unknown; mIoUBox?: unknown; mIoUClicks?: unknown; iouCalibrationMae?: unknown } | null;
  if (!m || typeof m.mIoU1Click !== "number" || typeof m.mIoUBox !== "number") return null;
  const clicks = Array.isArray(m.mIoUClicks) ? (m.mIoUClicks as number[]) : [];
  return {
    oneClick: m.mIoU1Click, box: m.mIoUBox, lastClick: clicks[clicks.length - 1] ?? m.mIoU1Click, clicks: clicks.length,
    calibration: typeof m.iouCalibrationMae === "number" ? m.iouCalibrationMae : NaN,
  };
}

export const dashboardRouter = router({
  summary: projectProcedure("ANNOTATOR")
    .input(z.object({ bucket: z.enum(DASHBOARD_BUCKETS).default("day") }))
    .query(async ({ ctx, input }) => {
      const pid = ctx.projectId;
      const bucket = input.bucket;
      const db = ctx.prisma;
      // Sequential on purpose: an embedded (PGlite) database has one connection anyway, and on
      // PostgreSQL six small aggregates do not need six pool connections at once.
      const perStage = await db.$queryRaw<StageCount[]>`
        SELECT date_trunc(${bucket}, "createdAt") AS t, "stage" AS stage, count(*)::int AS n
        FROM "Mask"
        WHERE "projectId" = ${pid} AND "status" IN ('PROPOSED', 'ACCEPTED')
        GROUP BY 1, 2 ORDER BY 1, 2`;
      const timing = await db.$queryRaw<StageTime[]>`
        SELECT date_trunc(${bucket}, "createdAt") AS t, "stage" AS stage, count(*)::int AS n,
               (avg("timeSpentMs") / 1000.0)::float8 AS "meanSeconds",
               (percentile_cont(0.5) WITHIN GROUP (ORDER BY "timeSpentMs") / 1000.0)::float8 AS "medianSeconds",
               avg("clicks")::float8 AS "meanClicks"
        FROM "Mask"
        WHERE "projectId" = ${pid} AND "source" IN ('MANUAL', 'ASSISTED') AND "timeSpentMs" IS NOT NULL
          AND "status" <> 'SUPERSEDED'
        GROUP BY 1, 2 ORDER BY 1, 2`;
      const timingOverall = await db.$queryRaw<{ stage: number; n: number; meanSeconds: number; medianSeconds: number }[]>`
        SELECT "stage" AS stage, count(*)::int AS n,
               (avg("timeSpentMs") / 1000.0)::float8 AS "meanSeconds",
               (percentile_cont(0.5) WITHIN GROUP (ORDER BY "timeSpentMs") / 1000.0)::float8 AS "medianSeconds"
        FROM "Mask"
        WHERE "projectId" = ${pid} AND "source" IN ('MANUAL', 'ASSISTED') AND "timeSpentMs" IS NOT NULL
          AND "status" <> 'SUPERSEDED'
        GROUP BY 1 ORDER BY 1`;
      const perImage = await db.$queryRaw<ImageHistogramRow[]>`
        SELECT per.n::int AS masks, count(*)::int AS images
        FROM (
          SELECT i."id", count(m."id") AS n
          FROM "Image" i
          LEFT JOIN "Mask" m ON m."imageId" = i."id" AND m."status" IN ('PROPOSED', 'ACCEPTED')
          WHERE i."projectId" = ${pid}
          GROUP BY i."id"
        ) per
        GROUP BY per.n ORDER BY per.n`;
      // Automatic masks accepted without a reviewer (stage 3 auto-accept) count on their creation day.
      const acceptance = await db.$queryRaw<AcceptanceRow[]>`
        SELECT date_trunc(${bucket}, coalesce("reviewedAt", "createdAt")) AS t,
               count(*) FILTER (WHERE "status" = 'ACCEPTED')::int AS accepted,
               count(*) FILTER (WHERE "status" = 'REJECTED')::int AS rejected
        FROM "Mask"
        WHERE "projectId" = ${pid} AND "source" = 'AUTO' AND "status" IN ('ACCEPTED', 'REJECTED')
        GROUP BY 1 ORDER BY 1`;
      const acceptanceByModel = await db.$queryRaw<ModelAcceptanceRow[]>`
        SELECT "modelVersionId",
               count(*) FILTER (WHERE "status" = 'ACCEPTED')::int AS accepted,
               count(*) FILTER (WHERE "status" = 'REJECTED')::int AS rejected
        FROM "Mask"
        WHERE "projectId" = ${pid} AND "source" = 'AUTO' AND "status" IN ('ACCEPTED', 'REJECTED')
        GROUP BY 1`;
      const statusCounts = await db.$queryRaw<StatusCount[]>`
        SELECT "status"::text AS status, "source"::text AS source, "stage" AS stage, count(*)::int AS n
        FROM "Mask" WHERE "projectId" = ${pid}
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
      // Automatic masks a person reshaped instead of accepting or rejecting.
      const [{ fixed }] = await db.$queryRaw<[{ fixed: number }]>`
        SELECT count(*)::int AS fixed FROM "Mask"
        WHERE "projectId" = ${pid} AND "source" = 'AUTO' AND "status" = 'SUPERSEDED' AND "supersededById" IS NOT NULL`;

      const models = await db.modelVersion.findMany({
        where: { OR: [{ projectId: pid }, { projectId: null }] },
        orderBy: [{ trainingRound: "asc" }, { createdAt: "asc" }],
        select: { id: true, name: true, trainingRound: true, status: true, architecture: true, metrics: true, createdAt: true },
      });

      // Finished retraining rounds, oldest first: the base and the candidate measured on the same held-out masks.
      const rounds = await db.trainingRun.findMany({
        where: { projectId: pid, status: "SUCCEEDED", producedModelId: { not: null } },
        orderBy: [{ finishedAt: "asc" }, { createdAt: "asc" }],
        select: {
          id: true, finishedAt: true, baseMetrics: true, metrics: true,
          baseModel: { select: { id: true, name: true, trainingRound: true } },
          producedModel: { select: { id: true, name: true, trainingRound: true, status: true } },
        },
      });

      const accepted = acceptance.reduce((a, r) => a + r.accepted, 0);
      const rejected = acceptance.reduce((a, r) => a + r.rejected, 0);
      const imageCount = perImage.reduce((a, r) => a + r.images, 0);
      const liveMasks = perImage.reduce((a, r) => a + r.masks * r.images, 0);
      const names = new Map(models.map((m) => [m.id, m.name]));
      return {
        bucket,
        masksPerStage: perStage,
        secondsPerMask: { series: timing, byStage: timingOverall },
        masksPerImage: { histogram: perImage, images: imageCount, masks: liveMasks, mean: imageCount ? liveMasks / imageCount : null },
        autoAcceptance: {
          series: acceptance,
          accepted,
          rejected,
          fixed,
          rate: accepted + rejected > 0 ? accepted / (accepted + rejected) : null,
          byModel: acceptanceByModel.map((r) => ({ ...r, modelName: r.modelVersionId ? (names.get(r.modelVersionId) ?? r.modelVersionId) : null })),
        },
        statusCounts,
        models: models.map((m) => ({ ...m, numericMetrics: numericMetrics(m.metrics) })),
        rounds: rounds.map((r) => ({
          id: r.id, finishedAt: r.finishedAt, baseModel: r.baseModel, candidate: r.producedModel!,
          base: roundMetrics(r.baseMetrics), after: roundMetrics(r.metrics),
        })),
      };
    }),
});
