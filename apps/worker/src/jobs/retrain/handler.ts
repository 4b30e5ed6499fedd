// The RETRAIN job, one round of the data engine's loop: freeze the accepted masks into a training snapshot
// (split by image), measure the base model on the held-out part, fine-tune its decoder on the train part
// (the encoder stays frozen: the stored embeddings are reused), measure the result on the same held-out
// masks, and record it as a CANDIDATE model version. Promotion is a separate admin decision
// (models/promote.ts). Resumable: the snapshot, the base metrics and the trainer's checkpoint survive a
// crash, and a finished round is never trained twice. Whatever goes wrong, the active model is untouched.
import type { ModelVersion, TrainingRun } from "@data-engine/db";
import { importDecoderWeights, type DecoderConfig, type WeightMap } from "@data-engine/sam-core";
import { SamTrainError, TrainingCancelledError, exportDecoder, trainDecoder } from "@data-engine/sam-train";
import type { Services } from "../../services.ts";
import type { JobContext } from "../../queue/context.ts";
import { JobCancelledError, JobReleasedError, PermanentJobError } from "../../errors.ts";
import type { JsonObject } from "../types.ts";
import type { RetrainParams } from "./params.ts";
import { existingTrainingSnapshot, freezeTrainingSnapshot } from "./snapshot.ts";
import { loadSplit } from "./samples.ts";
import { beats, evaluateThroughputDecoder, evaluateWeights, type HeldOutMetrics } from "./evaluate.ts";
import { checkpointKey, storageCheckpointStore } from "./checkpoint-store.ts";
import { registerDecoderVariant } from "./candidate.ts";
import { readExternalData, readModelFile } from "../../models/process-cache.ts";

/** Fewer training masks than this and a round is refused (a decoder cannot learn anything from them). */
export const MIN_TRAIN_MASKS = 8;

export const trainingRunIdFor = (jobId: string) => `tr_${jobId}`;
export const trainingSnapshotIdFor = (jobId: string) => `ds_${jobId}`;

// Progress bar shares (of 1000): snapshot and loading, base evaluation, training, candidate evaluation.
const P = { loaded: 80, baseEval: 150, trained: 880, done: 1000 };

export async function resolveBaseModel(services: Services, projectId: string, requested?: string): Promise<ModelVersion> {
  const prisma = services.prisma;
  const id = requested ?? (await prisma.project.findUnique({ where: { id: projectId }, select: { activeModelVersionId: true } }))?.activeModelVersionId;
  if (!id) throw new PermanentJobError("The project has no active model to retrain: activate one first");
  const model = await prisma.modelVersion.findUnique({ where: { id } });
  if (!model) throw new PermanentJobError(`No model version with id "${id}"`);
  if (model.projectId && model.projectId !== projectId) throw new PermanentJobError(`Model version "${id}" belongs to another project`);
  return model;
}

/** The base decoder's config and weights, read from its public export whatever its origin. */
export async function baseDecoder(services: Services, base: ModelVersion): Promise<{ config: DecoderConfig; weights: WeightMap }> {
  const cfg = (base.config ?? {}) as { decoderExternalData?: string[] };
  const [bytes, externalData] = await Promise.all([
    readModelFile(services, base.decoderKey),
    readExternalData(services, base.decoderKey, cfg.decoderExternalData),
  ]);
  const side = new Map(externalData.map((f) => [f.path, f.data]));
  try {
    const imported = importDecoderWeights(bytes, {
      externalData: (location: string, offset: number, length: number) => {
        const d = side.get(location);
        if (!d) throw new Error(`external data file "${location}" is missing`);
        return d.subarray(offset, length >= 0 ? offset + length : undefined);
      },
    });
    return { config: imported.config, weights: imported.weights };
  } catch (error) {
    throw new PermanentJobError(`cannot read the decoder weights of model "${base.name}": ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function runRetrain(ctx: JobContext<RetrainParams>): Promise<JsonObject> {
  const { services, params, job } = ctx;
  const prisma = services.prisma;
  const projectId = job.projectId!;
  const runId = trainingRunIdFor(job.id);
  const settings = params.trainer;
  const base = await resolveBaseModel(services, projectId, params.baseModelVersionId);

  await ctx.checkpoint(0, P.done, "freezing the training snapshot");
  const dataset = params.datasetVersionId
    ? await existingTrainingSnapshot(services, projectId, params.datasetVersionId)
    : await freezeTrainingSnapshot(services, {
        id: trainingSnapshotIdFor(job.id),
        projectId,
        name: params.name ? `${params.name} (training snapshot)` : `training snapshot ${new Date().toISOString().slice(0, 16).replace("T", " ")}`,
        filter: params.filter,
        heldOutFraction: params.heldOutFraction,
        splitSeed: params.splitSeed,
        jobId: job.id,
        createdById: job.createdById,
      });

  let run: TrainingRun = await prisma.trainingRun.upsert({
    where: { id: runId },
    create: {
      id: runId,
      projectId,
      baseModelId: base.id,
      datasetVersionId: dataset.id,
      jobId: job.id,
      status: "RUNNING",
      config: { ...settings, name: params.name ?? null } as never,
      totalSteps: settings.steps,
      checkpointKey: checkpointKey(projectId, runId),
      createdById: job.createdById,
      startedAt: new Date(),
    },
    update: { status: "RUNNING", error: null, finishedAt: null },
  });
  if (run.producedModelId) return summary(run, await prisma.modelVersion.findUniqueOrThrow({ where: { id: run.producedModelId } }));

  const fail = async (status: "FAILED" | "CANCELLED", message: string | null) => {
    await prisma.trainingRun.update({ where: { id: runId }, data: { status, error: message, finishedAt: new Date() } });
  };

  try {
    const decoder = await baseDecoder(services, base);
    const load = (split: "TRAIN" | "HELDOUT", from: number, to: number) =>
      loadSplit(services, {
        datasetVersionId: dataset.id,
        split,
        embeddingModelId: base.id,
        decoder: decoder.config,
        onImage: (d, n) => ctx.checkpoint(from + Math.floor(((to - from) * d) / Math.max(n, 1)), P.done, `loading ${split === "TRAIN" ? "training" : "held-out"} masks: image ${d + 1}/${n}`),
      });
    const train = await load("TRAIN", 0, P.loaded / 2);
    const held = await load("HELDOUT", P.loaded / 2, P.loaded);
    const missing = [...train.missingEmbeddings, ...held.missingEmbeddings];
    if (missing.length > 0) {
      throw new PermanentJobError(
        `${missing.length} image(s) of the snapshot have no embedding for the base model "${base.name}" (run the embed job for it first): ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}`,
      );
    }
    if (train.samples.length < MIN_TRAIN_MASKS) {
      throw new PermanentJobError(
        `the snapshot has ${train.samples.length} training mask(s) on ${train.images} image(s); a round needs at least ${MIN_TRAIN_MASKS} (accept more masks, or widen the filter)`,
      );
    }
    if (held.samples.length === 0) {
      throw new PermanentJobError("the snapshot's held-out part is empty (it needs masks on at least 2 images): nothing to evaluate the round on");
    }

    let baseMetrics = run.baseMetrics as HeldOutMetrics | null;
    if (!baseMetrics) {
      await ctx.checkpoint(P.loaded, P.done, `evaluating the base model on ${held.samples.length} held-out masks`);
      baseMetrics = await evaluateWeights(decoder.config, decoder.weights, held.samples, settings.evalClicks);
      run = await prisma.trainingRun.update({ where: { id: runId }, data: { baseMetrics: baseMetrics as never } });
    }

    // The trainer stops at its next step when this fires (saving a checkpoint first); `stopReason` says why.
    const stop = new AbortController();
    let stopReason: unknown = null;
    const onAbort = () => stop.abort();
    ctx.signal.addEventListener("abort", onAbort);
    let lastRowWrite = 0;
    const store = storageCheckpointStore(services, run.checkpointKey!, async (step) => {
      await prisma.trainingRun.update({ where: { id: runId }, data: { step } });
    });
    let result;
    try {
      result = await trainDecoder({
        config: decoder.config,
        baseWeights: decoder.weights,
        samples: train.samples,
        steps: settings.steps,
        seed: settings.seed,
        trainable: settings.trainable,
        schedule: {
          lr: settings.lr,
          warmupSteps: settings.warmupSteps ?? Math.min(50, Math.floor(settings.steps / 10)),
          decay: settings.decay,
        },
        weightDecay: settings.weightDecay,
        ...(settings.clipGradNorm ? { clipGradNorm: settings.clipGradNorm } : {}),
        maxObjectsPerStep: settings.maxObjectsPerStep,
        simulation: { pointRounds: settings.pointRounds, maskOnlyRounds: settings.maskOnlyRounds, boxProbability: settings.boxProbability },
        loss: settings.loss,
        minMasks: MIN_TRAIN_MASKS,
        checkpoint: { store, every: settings.checkpointEvery },
        signal: stop.signal,
        onProgress: async (p) => {
          const done = P.baseEval + Math.floor(((P.trained - P.baseEval) * (p.step + 1)) / p.steps);
          try {
            await ctx.checkpoint(done, P.done, `training: step ${p.step + 1}/${p.steps}, loss ${p.loss.toFixed(4)}`);
          } catch (error) {
            stopReason = error;
            stop.abort();
          }
          if (Date.now() - lastRowWrite > 1000 || p.step + 1 === p.steps) {
            lastRowWrite = Date.now();
            await prisma.trainingRun.update({ where: { id: runId }, data: { step: p.step + 1, lastLoss: p.loss } });
          }
          // A macrotask turn: the job's heartbeat timer runs even when steps are long.
          await new Promise((r) => setImmediate(r));
        },
      });
    } catch (error) {
      if (error instanceof TrainingCancelledError && stopReason) throw stopReason;
      throw error;
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
    }

    await ctx.checkpoint(P.trained, P.done, `evaluating the retrained decoder on ${held.samples.length} held-out masks`);
    // Exported once: the throughput file is what is evaluated here and what the candidate stores.
    const files = exportDecoder(decoder.config, result.weights);
    const metrics = await evaluateThroughputDecoder(decoder.config, files.decoderThroughput, held.samples, settings.evalClicks);
    const better = beats(metrics, baseMetrics);
    const last = result.log[result.log.length - 1];
    const record = {
      heldOut: metrics,
      base: baseMetrics,
      beatsBase: better,
      datasetVersionId: dataset.id,
      trainingRunId: runId,
      trainMasks: train.samples.length,
      trainImages: train.images,
      skippedMasks: train.skipped.length + held.skipped.length,
    };
    const candidate = await registerDecoderVariant(services, {
      base,
      projectId,
      source: "TRAINED",
      trainingRunId: runId,
      datasetVersionId: dataset.id,
      name: params.name ?? `${base.name} · round ${base.trainingRound + 1}`,
      decoder: files.decoder,
      decoderThroughput: files.decoderThroughput,
      metrics: record,
      createdById: job.createdById,
      config: { decoder: decoder.config },
    });
    run = await prisma.trainingRun.update({
      where: { id: runId },
      data: {
        status: "SUCCEEDED",
        producedModelId: candidate.id,
        metrics: metrics as never,
        step: result.steps,
        lastLoss: last?.loss ?? null,
        finishedAt: new Date(),
      },
    });
    return summary(run, candidate);
  } catch (error) {
    if (error instanceof JobCancelledError) await fail("CANCELLED", null);
    else if (error instanceof JobReleasedError) await prisma.trainingRun.update({ where: { id: runId }, data: { status: "QUEUED" } });
    else if (error instanceof PermanentJobError) await fail("FAILED", error.message);
    else if (error instanceof SamTrainError) {
      // Diverged loss, empty or malformed data, a foreign checkpoint: retrying cannot fix these.
      await fail("FAILED", error.message);
      throw new PermanentJobError(error.message);
    } else await prisma.trainingRun.update({ where: { id: runId }, data: { error: error instanceof Error ? error.message : String(error) } });
    throw error;
  }
}

function summary(run: TrainingRun, candidate: ModelVersion): JsonObject {
  const m = (run.metrics ?? null) as HeldOutMetrics | null;
  const b = (run.baseMetrics ?? null) as HeldOutMetrics | null;
  const beatsBase = m && b ? beats(m, b) : false;
  return {
    summary: m && b
      ? `candidate "${candidate.name}": held-out 1-click mIoU ${b.mIoU1Click.toFixed(3)} -> ${m.mIoU1Click.toFixed(3)}${beatsBase ? " (beats the base model)" : " (does not beat the base model)"}`
      : `candidate "${candidate.name}"`,
    trainingRunId: run.id,
    candidateModelVersionId: candidate.id,
    datasetVersionId: run.datasetVersionId,
    beatsBase,
    baseMetrics: b,
    metrics: m,
  };
}
