// The contract with an external trainer, consumer side: the decoder (and, when it was trained too, the
// encoder) that a trainer wrote under a bundle's result/ prefix becomes a CANDIDATE model version with
// lineage to the bundle's base model and dataset. The product does not trust the trainer's numbers for
// promotion: it evaluates the base and the result here on the bundle's HELDOUT masks, exactly as after
// its own rounds (the trainer's metrics.json is kept alongside, for reference).
import { createHash } from "node:crypto";
import type { ModelVersion } from "@data-engine/db";
import { buildDecoderOnnx, importDecoderWeights, SamPredictor } from "@data-engine/sam-core";
import { createNodeBackend } from "@data-engine/sam-core/node";
import type { Services } from "../../services.ts";
import { ModelError, NotFoundError } from "../../errors.ts";
import { inspectModelPair, registerModelVersion } from "../../models/register.ts";
import { decodeStoredRgb } from "../ingest/normalise.ts";
import { BUNDLE_FORMAT, JOB_FORMAT } from "./external-bundle.ts";
import { baseDecoder } from "./handler.ts";
import { loadSplit } from "./samples.ts";
import { beats, evaluateThroughputDecoder, evaluateWeights } from "./evaluate.ts";
import { registerDecoderVariant } from "./candidate.ts";

export interface ImportResultRequest {
  projectId: string;
  /** The bundle's storage prefix (ends with "/"). */
  bundle: string;
  /** Result files; omitted ones are read from `<bundle>result/` (the encoder and metrics are optional). */
  decoder?: Uint8Array;
  encoder?: Uint8Array;
  metrics?: Record<string, unknown>;
  name?: string;
  createdById?: string | null;
  evalClicks?: number;
}

async function readOptional(services: Services, key: string): Promise<Uint8Array | undefined> {
  if (!(await services.storage.head(key))) return undefined;
  const b = await services.storage.getBytes(key);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

async function readJson(services: Services, key: string, what: string): Promise<Record<string, unknown>> {
  const bytes = await readOptional(services, key);
  if (!bytes) throw new NotFoundError(`the bundle has no ${what} (${key})`);
  try {
    return JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new ModelError(`the bundle's ${what} (${key}) is not valid JSON`);
  }
}

export async function importExternalResult(services: Services, req: ImportResultRequest): Promise<{ model: ModelVersion; trainingRunId: string; beatsBase: boolean }> {
  const prisma = services.prisma;
  const prefix = req.bundle.endsWith("/") ? req.bundle : `${req.bundle}/`;
  if (!prefix.startsWith(`projects/${req.projectId}/training-bundles/`)) throw new ModelError(`"${req.bundle}" is not a training bundle of this project`);
  const manifest = await readJson(services, `${prefix}manifest.json`, "manifest");
  const job = await readJson(services, `${prefix}job.json`, "job spec");
  if (manifest.format !== BUNDLE_FORMAT || job.format !== JOB_FORMAT) throw new ModelError(`unknown bundle format ${String(manifest.format)} / ${String(job.format)}`);
  const datasetId = (manifest.dataset as { id: string }).id;
  const baseId = (job.baseModel as { id: string }).id;
  const base = await prisma.modelVersion.findUnique({ where: { id: baseId } });
  if (!base) throw new NotFoundError(`the bundle's base model "${baseId}" no longer exists`);

  const decoderBytes = req.decoder ?? (await readOptional(services, `${prefix}result/decoder.onnx`));
  if (!decoderBytes) throw new NotFoundError(`no result decoder: expected ${prefix}result/decoder.onnx (or give one)`);
  const encoderBytes = req.encoder ?? (await readOptional(services, `${prefix}result/encoder.onnx`));
  const reported = req.metrics ?? (await readOptional(services, `${prefix}result/metrics.json`).then((b) => (b ? (JSON.parse(Buffer.from(b).toString("utf8")) as Record<string, unknown>) : null)).catch(() => null));

  let imported;
  try {
    imported = importDecoderWeights(decoderBytes);
  } catch (error) {
    throw new ModelError(`the result decoder is not a SAM decoder export: ${error instanceof Error ? error.message : String(error)}`);
  }
  const shape = (base.config as { embeddingShape?: number[] }).embeddingShape;
  const c = imported.config;
  if (encoderBytes) inspectModelPair(encoderBytes, decoderBytes);
  else if (shape && shape.join(",") !== `1,${c.transformerDim},${c.embeddingSize},${c.embeddingSize}`) {
    throw new ModelError(`the result decoder takes embeddings [1,${c.transformerDim},${c.embeddingSize},${c.embeddingSize}] but the base encoder makes [${shape.join(",")}]: import its encoder too`);
  }

  const decoderSha = createHash("sha256").update(decoderBytes).digest("hex");
  const encoderSha = encoderBytes ? createHash("sha256").update(encoderBytes).digest("hex") : "base";
  // One run per (bundle, result files): importing the same files again finds it and its model version.
  const runId = `tr_ext_${createHash("sha256").update(`${prefix}:${encoderSha}:${decoderSha}`).digest("hex").slice(0, 20)}`;
  await prisma.trainingRun.upsert({
    where: { id: runId },
    create: { id: runId, projectId: req.projectId, baseModelId: base.id, datasetVersionId: datasetId, status: "RUNNING", config: { external: true, bundle: prefix, train: job.train as string }, createdById: req.createdById ?? null, startedAt: new Date() },
    update: { status: "RUNNING", error: null },
  });
  try {
    const evalClicks = req.evalClicks ?? 5;
    const baseDec = await baseDecoder(services, base);
    const held = await loadSplit(services, { datasetVersionId: datasetId, split: "HELDOUT", embeddingModelId: base.id, decoder: baseDec.config });
    if (held.missingEmbeddings.length > 0) throw new ModelError(`${held.missingEmbeddings.length} held-out image(s) have no embedding for the base model: run the embed job first`);
    if (held.samples.length === 0) throw new ModelError("the bundle's dataset has no held-out masks to evaluate on");
    const baseMetrics = await evaluateWeights(baseDec.config, baseDec.weights, held.samples, evalClicks);
    let heldForResult = held;
    if (encoderBytes) {
      // A new encoder: the held-out images are embedded with it here, for the evaluation only.
      const predictor = await SamPredictor.create({ backend: createNodeBackend(), encoder: encoderBytes, decoder: decoderBytes, modelId: "external-eval" });
      try {
        heldForResult = await loadSplit(services, {
          datasetVersionId: datasetId, split: "HELDOUT", embeddingModelId: base.id, decoder: c,
          embeddingFor: async (imageId) => {
            const image = await prisma.image.findUniqueOrThrow({ where: { id: imageId }, select: { storageKey: true } });
            return (await predictor.setImage(await decodeStoredRgb(await services.storage.getBytes(image.storageKey)))).data;
          },
        });
      } finally {
        await predictor.release();
      }
    }
    const throughput = buildDecoderOnnx(c, imported.weights, { variant: "throughput" }).model;
    const metrics = await evaluateThroughputDecoder(c, throughput, heldForResult.samples, evalClicks);
    const record = { heldOut: metrics, base: baseMetrics, beatsBase: beats(metrics, baseMetrics), datasetVersionId: datasetId, trainingRunId: runId, external: { bundle: prefix, reported } };
    const name = req.name ?? `${base.name} · external ${job.train === "encoder+decoder" ? "encoder+decoder" : "decoder"}`;
    let model: ModelVersion;
    if (!encoderBytes) {
      model = await registerDecoderVariant(services, {
        base, projectId: req.projectId, source: "EXTERNAL", trainingRunId: runId, datasetVersionId: datasetId, name,
        decoder: decoderBytes, decoderThroughput: throughput, metrics: record, createdById: req.createdById ?? null,
      });
    } else {
      model = await registerModelVersion(services, {
        name, architecture: base.architecture, source: "EXTERNAL", encoder: { model: encoderBytes }, decoder: { model: decoderBytes }, decoderThroughput: throughput,
        projectId: req.projectId, parentId: base.id, createdById: req.createdById ?? null, config: { trainingRunId: runId, datasetVersionId: datasetId },
      });
      model = await prisma.modelVersion.update({ where: { id: model.id }, data: { metrics: record as never, trainingRound: base.trainingRound + 1 } });
    }
    await prisma.trainingRun.update({ where: { id: runId }, data: { status: "SUCCEEDED", producedModelId: model.id, baseMetrics: baseMetrics as never, metrics: metrics as never, finishedAt: new Date() } });
    return { model, trainingRunId: runId, beatsBase: record.beatsBase };
  } catch (error) {
    await prisma.trainingRun.update({ where: { id: runId }, data: { status: "FAILED", error: error instanceof Error ? error.message : String(error), finishedAt: new Date() } });
    throw error;
  }
}
