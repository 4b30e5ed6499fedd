// The retraining API as an admin uses it: rounds listed with their held-out metrics and live job state,
// promotion offered and allowed only for a candidate that beat the active model (the worker's rule, its
// reason shown as is), rollback to the replaced model, and a round's parameters checked before queueing.
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { fx, t, useApiWorld } from "./support/api-world.ts";

useApiWorld();

const metrics = (one: number) => ({ masks: 12, images: 3, mIoU1Click: one, mIoUBox: one + 0.05, mIoUClicks: [one, one + 0.1], iouCalibrationMae: 0.1 });

/** A finished round on the fixture project's active model, with a candidate scoring `after` vs the base's `before`. */
async function round(before: number, after: number, beatsBase: boolean) {
  const db = t.runtime.prisma;
  const base = await db.modelVersion.findUniqueOrThrow({ where: { id: fx.modelId } });
  const dataset = await db.datasetVersion.create({ data: { projectId: fx.projectId, name: "snapshot", kind: "TRAINING", status: "READY", maskCount: 40, imageCount: 10 } });
  const candidate = await db.modelVersion.create({
    data: {
      projectId: fx.projectId, name: `round ${after}`, architecture: base.architecture, source: "TRAINED", encoderKey: base.encoderKey, decoderKey: base.decoderKey,
      parentId: base.id, trainingRound: base.trainingRound + 1, metrics: { heldOut: metrics(after), base: metrics(before), beatsBase },
      config: { embeddingsFrom: base.id },
    },
  });
  const job = await db.job.create({ data: { type: "RETRAIN", projectId: fx.projectId, status: "SUCCEEDED", progress: 100 } });
  const run = await db.trainingRun.create({
    data: {
      projectId: fx.projectId, baseModelId: base.id, datasetVersionId: dataset.id, producedModelId: candidate.id, jobId: job.id, status: "SUCCEEDED",
      step: 50, totalSteps: 50, lastLoss: 0.3, baseMetrics: metrics(before), metrics: metrics(after), finishedAt: new Date(Date.now() + after * 1000),
    },
  });
  return { candidateId: candidate.id, runId: run.id };
}

describe("training API", () => {
  it("lists rounds with metrics, refuses a candidate that did not beat the active model, promotes one that did, and rolls back", async () => {
    const admin = await t.callerFor(fx.admin);
    await admin.models.activate({ projectId: fx.projectId, modelVersionId: fx.modelId });
    const worse = await round(0.5, 0.45, false);
    const better = await round(0.5, 0.6, true);

    const listed = await admin.training.list({ projectId: fx.projectId });
    const byId = new Map(listed.runs.map((r) => [r.id, r]));
    expect(byId.get(better.runId)).toMatchObject({ status: "SUCCEEDED", promotable: true, whyNot: null, heldOutMasks: 12 });
    expect(byId.get(better.runId)!.metrics!.mIoU1Click).toBe(0.6);
    expect(byId.get(worse.runId)).toMatchObject({ promotable: false });
    expect(byId.get(worse.runId)!.whyNot).toMatch(/does not beat the active model .*0\.450 vs 0\.500/);

    // The dashboard draws the rounds: base and candidate on the same held-out masks, round after round.
    const dash = await admin.dashboard.summary({ projectId: fx.projectId });
    const rounds = dash.rounds.filter((r) => [worse.runId, better.runId].includes(r.id));
    expect(rounds.map((r) => [r.base?.oneClick, r.after?.oneClick, r.after?.lastClick, r.after?.clicks])).toEqual([[0.5, 0.45, 0.55, 2], [0.5, 0.6, 0.7, 2]]);

    const refused = await admin.training.promote({ projectId: fx.projectId, modelVersionId: worse.candidateId }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TRPCError);
    expect((refused as TRPCError).code).toBe("BAD_REQUEST");
    expect((refused as TRPCError).message).toMatch(/does not beat the active model/);

    const promoted = await admin.training.promote({ projectId: fx.projectId, modelVersionId: better.candidateId });
    expect(promoted).toEqual({ activeModelVersionId: better.candidateId, previousId: fx.modelId });
    const after = await admin.training.list({ projectId: fx.projectId });
    expect(after.active?.id).toBe(better.candidateId);
    expect(after.canRollback).toBe(true);
    // The annotator is told that the candidate's embeddings are its parent's (same encoder, not re-encoded).
    const decoder = await (await t.callerFor(fx.annotator)).images.decoder({ projectId: fx.projectId });
    expect(decoder).toMatchObject({ modelVersionId: better.candidateId, embeddingModelId: fx.modelId });
    // The other candidate was measured against the model that is no longer active.
    expect(after.runs.find((r) => r.id === worse.runId)!.whyNot).toMatch(/active model changed/);

    const rolled = await admin.training.rollback({ projectId: fx.projectId });
    expect(rolled).toEqual({ activeModelVersionId: fx.modelId, rolledBackId: better.candidateId });
    expect((await t.runtime.prisma.modelVersion.findUniqueOrThrow({ where: { id: better.candidateId } })).status).toBe("ARCHIVED");
    const audit = await t.runtime.prisma.auditLog.findMany({ where: { projectId: fx.projectId, action: { in: ["model.promote", "model.rollback"] } } });
    expect(audit.map((a) => a.action).sort()).toEqual(["model.promote", "model.rollback"]);
  });

  it("shows a round whose job died as failed with the job's error", async () => {
    const admin = await t.callerFor(fx.admin);
    const db = t.runtime.prisma;
    const dataset = await db.datasetVersion.create({ data: { projectId: fx.projectId, name: "s", kind: "TRAINING", status: "READY" } });
    const job = await db.job.create({ data: { type: "RETRAIN", projectId: fx.projectId, status: "DEAD", error: "out of memory" } });
    const run = await db.trainingRun.create({ data: { projectId: fx.projectId, baseModelId: fx.modelId, datasetVersionId: dataset.id, jobId: job.id, status: "RUNNING", totalSteps: 10 } });
    const listed = await admin.training.list({ projectId: fx.projectId });
    expect(listed.runs.find((r) => r.id === run.id)).toMatchObject({ status: "FAILED", error: "out of memory", promotable: false });
  });

  it("queues a round with the chosen settings and rejects bad ones before queueing", async () => {
    const admin = await t.callerFor(fx.admin);
    const { jobId } = await admin.training.start({ projectId: fx.projectId, steps: 30, trainable: "heads", loss: "dice", stages: [1, 2] });
    const job = await t.runtime.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job.type).toBe("RETRAIN");
    expect(job.params).toMatchObject({ heldOutFraction: 0.2, filter: { statuses: ["ACCEPTED"], stages: [1, 2] }, trainer: { steps: 30, trainable: "heads", loss: { focal: 0, dice: 1, iou: 1 } } });
    for (const bad of [{ steps: 0 }, { heldOutFraction: 1 }, { lr: -1 }, { trainable: "encoder" }]) {
      await expect(admin.training.start({ projectId: fx.projectId, ...(bad as object) })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    }
  });
});
