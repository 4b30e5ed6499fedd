// One retraining round as a job, end to end on the shipped starter model: procedural "rings" scenes (a
// domain the starter never saw) are ingested and embedded, their exact object masks accepted, and the
// RETRAIN job freezes a snapshot split by image, evaluates the base, fine-tunes the decoder, evaluates
// the result on the same held-out masks and registers a candidate. Resume after a stop mid-training
// must give the very same decoder; bad datasets must fail with a reason and leave the active model alone.
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDecoderOnnx, decodeEmbedding, importDecoderWeights, inspectOnnx } from "@data-engine/sam-core";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { startWorkers, type Workers } from "../src/queue/workers.ts";
import { registerStarterModel } from "../src/models/starter.ts";
import { loadPredictor, releasePredictors } from "../src/models/load.ts";
import { promoteCandidate, promotionCheck, rollbackModel } from "../src/models/promote.ts";
import { embeddingModelId, shareEmbeddings } from "../src/models/embedding-identity.ts";
import { createJobContext } from "../src/queue/context.ts";
import { cancelJob } from "../src/queue/control.ts";
import { JobParamsError, JobReleasedError } from "../src/errors.ts";
import { runRetrain, trainingRunIdFor } from "../src/jobs/retrain/handler.ts";
import { retrainParams, type RetrainParams } from "../src/jobs/retrain/params.ts";
import { heldOutImages } from "../src/jobs/retrain/split.ts";
import { createProject, createTestServices, waitForJob, type TestServices } from "./support/services.ts";
import { setupTrainingProject, writeScenes } from "./support/training-project.ts";

const SCENES = 10;
// Small and fast: the hypernetwork + IoU heads, 3 decoder passes per object, dice + IoU loss (the
// starter's own recipe; see packages/sam-train/README.md).
const trainer = {
  steps: 24,
  trainable: "heads",
  lr: 3e-4,
  warmupSteps: 2,
  decay: "constant",
  maxObjectsPerStep: 4,
  pointRounds: 1,
  maskOnlyRounds: 1,
  loss: { focal: 0, dice: 1, iou: 1 },
  checkpointEvery: 5,
  evalClicks: 3,
  seed: 7,
} as const;

let services: TestServices;
let workers: Workers | undefined;
let folder: string;
let starterId: string;

beforeAll(async () => {
  services = await createTestServices();
  folder = await writeScenes(SCENES);
  starterId = (await registerStarterModel(services)).id;
  workers = await startWorkers(services, { log: () => undefined, pollingIntervalSeconds: 0.5, reconcileIntervalMs: 0 });
}, 120_000);
afterAll(async () => {
  await workers?.stop();
  await releasePredictors();
  await services?.cleanup();
  if (folder) await rm(folder, { recursive: true, force: true });
});

const setupProject = (slug: string, opts: { accept?: boolean; embed?: boolean } = {}) =>
  setupTrainingProject(services, { slug, folder, modelVersionId: starterId, ...opts });

function directContext(projectId: string, job: { id: string; queueJobId: string | null }, params: RetrainParams, stopping: () => boolean) {
  return createJobContext<RetrainParams>(
    services,
    { id: job.id, projectId, createdById: null, priority: 0, attempt: 1, queueJobId: job.queueJobId! },
    params,
    new AbortController().signal,
    { stopping },
  );
}

describe("the train/held-out split", () => {
  it("is by image, deterministic, stable when images are added, and has both sides from two images on", () => {
    const ids = Array.from({ length: 200 }, (_, i) => `img-${i}`);
    const held = heldOutImages(ids, 3, 0.2);
    expect(held.size).toBeGreaterThan(20);
    expect(held.size).toBeLessThan(60);
    expect([...heldOutImages(ids, 3, 0.2)]).toEqual([...held]);
    const more = heldOutImages([...ids, ...Array.from({ length: 50 }, (_, i) => `new-${i}`)], 3, 0.2);
    for (const id of ids) expect(more.has(id)).toBe(held.has(id));
    expect(heldOutImages(["a", "b"], 0, 0.01).size).toBe(1);
    expect(heldOutImages(["a", "b"], 0, 0.99).size).toBe(1);
  });
});

describe("a retraining round", () => {
  it("snapshots, trains, evaluates and registers a candidate; promotion follows the held-out result; rollback restores", { timeout: 300_000 }, async () => {
    const projectId = await setupProject("round");
    const job = await enqueueJob(services, { type: "RETRAIN", projectId, params: { heldOutFraction: 0.3, splitSeed: 1, trainer } });
    const done = await waitForJob(services, job.id, 240_000);
    expect(done.error).toBeNull();
    expect(done.status).toBe("SUCCEEDED");

    const run = await services.prisma.trainingRun.findUniqueOrThrow({ where: { id: trainingRunIdFor(job.id) }, include: { datasetVersion: true } });
    expect(run.status).toBe("SUCCEEDED");
    expect(run.step).toBe(trainer.steps);
    expect(run.baseModelId).toBe(starterId);

    // The snapshot: every accepted mask, frozen with its checksum, split by image with no image on both sides.
    const ds = run.datasetVersion;
    expect(ds.kind).toBe("TRAINING");
    expect(ds.status).toBe("READY");
    const accepted = await services.prisma.mask.count({ where: { projectId, status: "ACCEPTED" } });
    const items = await services.prisma.datasetItem.findMany({ where: { datasetVersionId: ds.id }, include: { mask: true } });
    expect(items).toHaveLength(accepted);
    expect(ds.maskCount).toBe(accepted);
    for (const it of items) expect(it.rleChecksum).toBe(it.mask.rleChecksum);
    const trainImages = new Set(items.filter((i) => i.split === "TRAIN").map((i) => i.imageId));
    const heldImages = new Set(items.filter((i) => i.split === "HELDOUT").map((i) => i.imageId));
    expect(trainImages.size).toBeGreaterThan(0);
    expect(heldImages.size).toBeGreaterThan(0);
    for (const id of heldImages) expect(trainImages.has(id)).toBe(false);
    expect(heldImages).toEqual(heldOutImages([...trainImages, ...heldImages], 1, 0.3));

    // The candidate: public decoder contract + throughput variant, the parent's encoder, lineage, metrics.
    const candidate = await services.prisma.modelVersion.findUniqueOrThrow({ where: { id: run.producedModelId! } });
    const base = await services.prisma.modelVersion.findUniqueOrThrow({ where: { id: starterId } });
    expect(candidate).toMatchObject({ status: "CANDIDATE", source: "TRAINED", parentId: starterId, trainingRound: base.trainingRound + 1, encoderKey: base.encoderKey, projectId });
    const decoderBytes = new Uint8Array(await services.storage.getBytes(candidate.decoderKey));
    expect(inspectOnnx(decoderBytes, "decoder").role).toBe("decoder");
    expect(inspectOnnx(new Uint8Array(await services.storage.getBytes(candidate.decoderThroughputKey!)), "decoder-throughput").role).toBe("decoder-throughput");
    const trainedWeights = importDecoderWeights(decoderBytes).weights;
    const baseWeights = importDecoderWeights(new Uint8Array(await services.storage.getBytes(base.decoderKey))).weights;
    const changed = [...trainedWeights.keys()].filter((k) => trainedWeights.get(k)!.data.some((v, i) => v !== baseWeights.get(k)!.data[i]));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((k) => k.startsWith("mask_decoder.output_hypernetworks_mlps.") || k.startsWith("mask_decoder.iou_prediction_head."))).toBe(true);
    const metrics = candidate.metrics as { heldOut: { mIoU1Click: number; masks: number; mIoUClicks: number[] }; base: { mIoU1Click: number }; beatsBase: boolean; datasetVersionId: string };
    expect(metrics.datasetVersionId).toBe(ds.id);
    expect(metrics.heldOut.masks).toBe(items.filter((i) => i.split === "HELDOUT").length);
    expect(metrics.heldOut.mIoUClicks).toHaveLength(trainer.evalClicks);
    expect(run.baseMetrics).toMatchObject({ mIoU1Click: metrics.base.mIoU1Click });
    console.log(`round on "rings": held-out 1-click mIoU ${metrics.base.mIoU1Click.toFixed(4)} -> ${metrics.heldOut.mIoU1Click.toFixed(4)} (${metrics.heldOut.masks} masks), beats base: ${metrics.beatsBase}`);

    // Embeddings are shared, not recomputed, and the candidate's predictor accepts them.
    expect(embeddingModelId(candidate)).toBe(embeddingModelId(base));
    const [baseRows, candRows] = await Promise.all([starterId, candidate.id].map((id) => services.prisma.embedding.count({ where: { modelVersionId: id, image: { projectId } } })));
    expect(candRows).toBe(baseRows);
    const row = await services.prisma.embedding.findFirstOrThrow({ where: { modelVersionId: candidate.id } });
    const predictor = await loadPredictor(services, candidate.id);
    const embedding = decodeEmbedding(new Uint8Array(await services.storage.getBytes(row.storageKey)));
    predictor.setEmbedding(embedding);
    const out = await predictor.predict({ points: [[128, 128]], labels: [1] });
    expect(out.masks.length).toBeGreaterThan(0);

    // Promotion is offered exactly when the candidate beat the active model on the held-out masks.
    const check = promotionCheck(candidate, starterId);
    expect(check.allowed).toBe(metrics.beatsBase);
    if (!metrics.beatsBase) {
      await expect(promoteCandidate(services, { projectId, modelVersionId: candidate.id })).rejects.toThrow(/does not beat the active model/);
      return;
    }
    await promoteCandidate(services, { projectId, modelVersionId: candidate.id });
    expect((await services.prisma.project.findUniqueOrThrow({ where: { id: projectId } })).activeModelVersionId).toBe(candidate.id);
    await rollbackModel(services, { projectId });
    expect((await services.prisma.project.findUniqueOrThrow({ where: { id: projectId } })).activeModelVersionId).toBe(starterId);
    expect((await services.prisma.modelVersion.findUniqueOrThrow({ where: { id: candidate.id } })).status).toBe("ARCHIVED");
  });

  it("resumes from its checkpoint after a stop mid-training and produces the same decoder as an uninterrupted round", { timeout: 300_000 }, async () => {
    const projectId = await setupProject("resume");
    const params = retrainParams.parse({ heldOutFraction: 0.3, splitSeed: 1, trainer: { ...trainer, steps: 12, checkpointEvery: 3 } });
    // Uninterrupted.
    const a = await services.prisma.job.create({ data: { type: "RETRAIN", projectId, params: params as never, status: "RUNNING", queueJobId: "q-a" } });
    await runRetrain(directContext(projectId, a, params, () => false));
    // Stopped at step 7 (the worker shutting down), then run again.
    const b = await services.prisma.job.create({ data: { type: "RETRAIN", projectId, params: params as never, status: "RUNNING", queueJobId: "q-b" } });
    let stopNow = false;
    const ctx = directContext(projectId, b, params, () => stopNow);
    const original = ctx.checkpoint.bind(ctx);
    ctx.checkpoint = async (done, total, message) => {
      if (/step 7\//.test(message)) stopNow = true;
      return original(done, total, message);
    };
    await expect(runRetrain(ctx)).rejects.toBeInstanceOf(JobReleasedError);
    const stopped = await services.prisma.trainingRun.findUniqueOrThrow({ where: { id: trainingRunIdFor(b.id) } });
    expect(stopped.status).toBe("QUEUED");
    expect(stopped.step).toBeGreaterThanOrEqual(6);
    expect(stopped.step).toBeLessThan(12);
    expect(stopped.producedModelId).toBeNull();
    await runRetrain(directContext(projectId, b, params, () => false));

    const [ra, rb] = await Promise.all([a.id, b.id].map((id) => services.prisma.trainingRun.findUniqueOrThrow({ where: { id: trainingRunIdFor(id) }, include: { producedModel: true } })));
    expect(rb!.status).toBe("SUCCEEDED");
    expect(rb!.producedModel!.decoderSha256).toBe(ra!.producedModel!.decoderSha256);
    expect(rb!.metrics).toEqual(ra!.metrics);
    // Running a finished round again changes nothing.
    const again = await runRetrain(directContext(projectId, b, params, () => false));
    expect(again.candidateModelVersionId).toBe(rb!.producedModelId);
    expect(await services.prisma.modelVersion.count({ where: { config: { path: ["trainingRunId"], equals: rb!.id } } })).toBe(1);
  });
});

describe("a round that cannot run", () => {
  async function failedRound(projectId: string, params: Record<string, unknown> = {}) {
    const job = await enqueueJob(services, { type: "RETRAIN", projectId, params: { trainer, ...params } });
    const done = await waitForJob(services, job.id, 120_000);
    const run = await services.prisma.trainingRun.findUnique({ where: { id: trainingRunIdFor(job.id) } });
    const project = await services.prisma.project.findUniqueOrThrow({ where: { id: projectId } });
    expect(project.activeModelVersionId).toBe(starterId);
    expect(await services.prisma.modelVersion.count({ where: { projectId, source: "TRAINED" } })).toBe(0);
    return { done, run };
  }

  it("stops with a reason on an empty dataset, masks without embeddings, or a foreign checkpoint", { timeout: 300_000 }, async () => {
    const empty = await setupProject("empty", { accept: false });
    const r1 = await failedRound(empty);
    expect(r1.done.status).toBe("FAILED");
    expect(r1.done.error).toMatch(/0 training mask\(s\).*at least 8/);
    expect(r1.run?.status).toBe("FAILED");

    const noEmb = await setupProject("no-embeddings", { embed: false });
    const r2 = await failedRound(noEmb);
    expect(r2.done.status).toBe("FAILED");
    expect(r2.done.error).toMatch(/image\(s\) of the snapshot have no embedding for the base model/);

    // A checkpoint left by a different run under this run's key (corrupt or foreign): refused, not loaded.
    const p3 = await setupProject("foreign-checkpoint");
    const job = await enqueueJob(services, { type: "RETRAIN", projectId: p3, params: { trainer: { ...trainer, steps: 3000 } } });
    const runId = trainingRunIdFor(job.id);
    await services.storage.put(`projects/${p3}/training/${runId}/checkpoint.bin`, Buffer.from("SAMTRAIN1\nnot really"));
    const done = await waitForJob(services, job.id, 120_000);
    expect(done.status).toBe("FAILED");
    expect(done.error).toMatch(/checkpoint/);
    expect((await services.prisma.trainingRun.findUniqueOrThrow({ where: { id: runId } })).status).toBe("FAILED");
  });

  it("stops with a reason when the loss diverges (NaN), and a cancelled round ends CANCELLED", { timeout: 300_000 }, async () => {
    // A base whose decoder carries a NaN weight (registered like any import, the starter's encoder kept).
    const starter = await services.prisma.modelVersion.findUniqueOrThrow({ where: { id: starterId } });
    const imported = importDecoderWeights(new Uint8Array(await services.storage.getBytes(starter.decoderKey)));
    const w = imported.weights.get("mask_decoder.iou_prediction_head.layers.0.weight")!;
    w.data[0] = Number.NaN;
    const p1 = await setupProject("nan");
    const poisoned = await services.prisma.modelVersion.create({
      data: {
        ...starter, id: undefined, name: "poisoned", projectId: null, status: "CANDIDATE", decoderKey: "models/poisoned/decoder.onnx",
        config: { ...(starter.config as object), embeddingsFrom: starterId }, metrics: undefined, createdAt: undefined,
      },
    });
    await services.storage.put(poisoned.decoderKey, buildDecoderOnnx(imported.config, imported.weights, { variant: "public" }).model);
    await shareEmbeddings(services, starterId, poisoned.id);
    const job = await enqueueJob(services, { type: "RETRAIN", projectId: p1, params: { baseModelVersionId: poisoned.id, trainer } });
    const done = await waitForJob(services, job.id, 120_000);
    expect(done.status).toBe("FAILED");
    expect(done.error).toMatch(/diverged/);
    expect((await services.prisma.trainingRun.findUniqueOrThrow({ where: { id: trainingRunIdFor(job.id) } })).status).toBe("FAILED");
    expect((await services.prisma.project.findUniqueOrThrow({ where: { id: p1 } })).activeModelVersionId).toBe(starterId);

    // Cancelled while training: the run and the job end CANCELLED, nothing is registered.
    const long = await enqueueJob(services, { type: "RETRAIN", projectId: p1, params: { trainer: { ...trainer, steps: 5000 } } });
    const runId = trainingRunIdFor(long.id);
    for (let i = 0; i < 600; i++) {
      const run = await services.prisma.trainingRun.findUnique({ where: { id: runId } });
      if (run && run.step >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await cancelJob(services, long.id);
    expect((await waitForJob(services, long.id, 120_000)).status).toBe("CANCELLED");
    const run = await services.prisma.trainingRun.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe("CANCELLED");
    expect(run.step).toBeGreaterThanOrEqual(2);
    expect(run.step).toBeLessThan(5000);
    expect(run.producedModelId).toBeNull();
  });

  it("is refused before queueing when the project has no model or the parameters are wrong", async () => {
    const projectId = await createProject(services, "no-model");
    await expect(enqueueJob(services, { type: "RETRAIN", projectId, params: {} })).rejects.toBeInstanceOf(JobParamsError);
    await expect(enqueueJob(services, { type: "RETRAIN", projectId, params: { heldOutFraction: 1.5 } })).rejects.toThrow(/heldOutFraction/);
    await expect(enqueueJob(services, { type: "RETRAIN", projectId, params: { trainer: { steps: 0 } } })).rejects.toThrow(/steps/);
    await expect(enqueueJob(services, { type: "RETRAIN", projectId, params: { trainer: { loss: { focal: 0, dice: 0, iou: 1 } } } })).rejects.toThrow(/focal and dice/);
  });
});

