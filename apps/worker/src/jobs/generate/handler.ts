// The generate job: automatic mask generation over a project's images with its active model. Per image:
// the stored full-image embedding (computed and stored first if missing), crops encoded as needed, the
// generator, dedup against the masks the image already has (and automatic proposals rejected before), then the new masks and the item's outcome
// in ONE transaction, keyed `gen:<job>:<image>:<n>`: a crash at any point redoes at most the image in
// hand and never duplicates. Resumed attempts skip finished images and reuse the plan frozen at the
// first attempt (model, options, thresholds), so settings changed meanwhile do not mix two runs.
import { createHash } from "node:crypto";
import {
  cropEncoder,
  decodeEmbedding,
  dedupAgainstExisting,
  generateMasks,
  rleBbox,
  type AmgMaskRecord,
  type CocoRle,
  type RgbImage,
  type SamEmbedding,
} from "@data-engine/sam-core";
import type { JobContext } from "../../queue/context.ts";
import { JobParamsError, PermanentJobError } from "../../errors.ts";
import { loadPredictor } from "../../models/load.ts";
import { loadAmgDecoder } from "../../models/load-amg-decoder.ts";
import { decodeStoredRgb } from "../ingest/normalise.ts";
import { computeAndStoreEmbedding, upsertEmbeddingRow, type EmbeddingRowData } from "../embed/store.ts";
import type { JsonObject } from "../types.ts";
import type { GenerateParams } from "./params.ts";
import { planGeneration, selectImages, type GenerationPlan, type PlannedImage } from "./plan.ts";

const PLAN_ITEM = "~plan";
/** Progress units per image, so the bar moves within an image too. */
const STEP = 100;

export interface ImageOutcome {
  proposed: number;
  accepted: number;
  duplicates: number;
  generated: number;
}

export function generationKey(jobId: string, imageId: string, index: number): string {
  return `gen:${jobId}:${imageId}:${index}`;
}

async function frozenPlan(ctx: JobContext<GenerateParams>): Promise<GenerationPlan> {
  const previous = (await ctx.finishedItems()).get(PLAN_ITEM);
  if (previous?.result) return previous.result as unknown as GenerationPlan;
  let plan: GenerationPlan;
  try {
    plan = await planGeneration(ctx.services, ctx.job.projectId!, ctx.params);
  } catch (error) {
    // Checked at enqueue time, but the project may have changed since (model deactivated, settings
    // edited): retrying cannot fix that.
    if (error instanceof JobParamsError) throw new PermanentJobError(error.message);
    throw error;
  }
  await ctx.recordItem(PLAN_ITEM, { status: "DONE", result: plan as unknown as Record<string, unknown> });
  return plan;
}

export async function runGenerate(ctx: JobContext<GenerateParams>): Promise<JsonObject> {
  const { services, job } = ctx;
  const projectId = job.projectId!;
  const plan = await frozenPlan(ctx);
  const images = await selectImages(services, projectId, ctx.params);
  const finished = await ctx.finishedItems();
  const total = images.length;
  let done = images.filter((i) => finished.has(i.id)).length;
  const todo = images.filter((i) => !finished.has(i.id));
  if (todo.length > 0) {
    const decoder = await loadAmgDecoder(services, plan.modelVersionId);
    for (const image of todo) {
      const label = `image ${done + 1}/${total}`;
      await ctx.checkpoint(done * STEP, total * STEP, label);
      const generated = await generateForImage(ctx, plan, decoder, image, done, total, label);
      if (generated) await writeImageMasks(ctx, plan, image, generated);
      done++;
    }
  }
  await ctx.checkpoint(total * STEP, total * STEP, `generated on ${total}/${total} images`);
  return summarise(ctx, plan, total);
}

interface Generated {
  records: AmgMaskRecord<CocoRle>[];
  /** Crops the image was prompted in (1 + the crop layers' crops). */
  crops: number;
  /** Set when the embedding had to be computed: its row goes into the image's transaction. */
  embeddingRow: EmbeddingRowData | null;
}

/**
 * Everything up to the write. Failures that belong to this image (missing or damaged file, an embedding
 * of another model, an image too small for the crops) are recorded on its item and return null;
 * cancellation and shutdown propagate.
 */
async function generateForImage(
  ctx: JobContext<GenerateParams>,
  plan: GenerationPlan,
  decoder: Awaited<ReturnType<typeof loadAmgDecoder>>,
  image: PlannedImage,
  done: number,
  total: number,
  label: string,
): Promise<Generated | null> {
  const { services } = ctx;
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort();
  ctx.signal.addEventListener("abort", onOuterAbort);
  let stopError: unknown;
  let inflight: Promise<void> | null = null;
  // A checkpoint inside an image: progress, and cancellation noticed without waiting for the image.
  const onProgress = (p: { crop: number; crops: number; batch: number; batches: number }) => {
    if (inflight) return;
    const within = (p.crop + (p.batch + 1) / p.batches) / p.crops;
    inflight = ctx
      .checkpoint(done * STEP + Math.floor(within * (STEP - 1)), total * STEP, `${label}: crop ${p.crop + 1}/${p.crops}`)
      .catch((error: unknown) => {
        stopError = error;
        abort.abort();
      })
      .finally(() => {
        inflight = null;
      });
  };
  try {
    let rgb: RgbImage | undefined;
    const pixels = async () => (rgb ??= await decodeStoredRgb(await services.storage.getBytes(image.storageKey)));
    const { embedding, row } = await fullImageEmbedding(ctx, plan.modelVersionId, image, pixels);
    const needsCrops = (plan.amg.cropNLayers ?? 0) > 0;
    const predictor = needsCrops ? await loadPredictor(services, plan.modelVersionId) : undefined;
    const result = await generateMasks(
      {
        height: image.height,
        width: image.width,
        decoder,
        embedding,
        encodeCrop: predictor ? cropEncoder(await pixels(), (crop) => predictor.setImage(crop)) : undefined,
        onProgress,
        signal: abort.signal,
      },
      plan.amg,
    );
    await inflight;
    if (stopError) throw stopError;
    return { records: result.masks as AmgMaskRecord<CocoRle>[], crops: result.stats.crops, embeddingRow: row };
  } catch (error) {
    await inflight;
    if (stopError) throw stopError;
    // Whatever stopped us (cancel, shutdown, lost claim), the context's checkpoint throws the right error.
    if (ctx.signal.aborted) await ctx.checkpoint(done * STEP, total * STEP, label);
    await ctx.recordItem(image.id, { status: "FAILED", message: error instanceof Error ? error.message : String(error) });
    return null;
  } finally {
    ctx.signal.removeEventListener("abort", onOuterAbort);
  }
}

/** The stored embedding for the model; computed with the encoder (as the embed job does) when missing. */
async function fullImageEmbedding(
  ctx: JobContext<GenerateParams>,
  modelVersionId: string,
  image: PlannedImage,
  pixels: () => Promise<RgbImage>,
): Promise<{ embedding: SamEmbedding; row: EmbeddingRowData | null }> {
  const { services, job } = ctx;
  const stored = await services.prisma.embedding.findUnique({
    where: { imageId_modelVersionId: { imageId: image.id, modelVersionId } },
    select: { storageKey: true },
  });
  if (stored && (await services.storage.head(stored.storageKey))) {
    const bytes = await services.storage.getBytes(stored.storageKey);
    return { embedding: decodeEmbedding(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)), row: null };
  }
  const predictor = await loadPredictor(services, modelVersionId);
  const { embedding, row } = await computeAndStoreEmbedding(services, predictor, { projectId: job.projectId!, modelVersionId, imageId: image.id }, await pixels());
  return { embedding, row };
}

async function writeImageMasks(ctx: JobContext<GenerateParams>, plan: GenerationPlan, image: PlannedImage, generated: Generated): Promise<void> {
  const { services, job } = ctx;
  const size: [number, number] = [image.height, image.width];
  const records = generated.records.filter((r) => r.area > 0);
  await services.prisma.$transaction(
    async (tx) => {
      // Serialises writers of this image's masks, so two jobs on one image cannot both propose the same object.
      await tx.$queryRaw`SELECT id FROM "Image" WHERE id = ${image.id} FOR UPDATE`;
      // An automatic proposal a reviewer rejected counts too: generating again must not bring it back.
      const existing = await tx.mask.findMany({
        where: { imageId: image.id, OR: [{ status: { in: ["PROPOSED", "ACCEPTED"] } }, { status: "REJECTED", source: "AUTO" }] },
        select: { rle: true },
      });
      const { kept, keptIndices, dropped } = dedupAgainstExisting(
        records,
        existing.map((m) => ({ size, counts: m.rle })),
        plan.dedup,
      );
      if (generated.embeddingRow) await upsertEmbeddingRow(tx, image.id, plan.modelVersionId, generated.embeddingRow);
      let accepted = 0;
      const data = kept.map((r, k) => {
        const auto = plan.mode === "auto" && r.predicted_iou >= plan.autoAccept.iou && r.stability_score >= plan.autoAccept.stability;
        if (auto) accepted++;
        const counts = r.segmentation.counts;
        return {
          projectId: job.projectId!,
          imageId: image.id,
          rle: counts,
          rleChecksum: createHash("sha256").update(counts, "utf8").digest("hex"),
          bbox: rleBbox({ size, counts }),
          area: r.area,
          source: "AUTO" as const,
          stage: auto ? 3 : 2,
          status: auto ? ("ACCEPTED" as const) : ("PROPOSED" as const),
          predictedIou: r.predicted_iou,
          stabilityScore: r.stability_score,
          pointCoords: r.point_coords,
          cropBox: r.crop_box,
          modelVersionId: plan.modelVersionId,
          idempotencyKey: generationKey(job.id, image.id, keptIndices[k]!),
          jobId: job.id,
        };
      });
      if (data.length) await tx.mask.createMany({ data, skipDuplicates: true });
      const outcome: ImageOutcome = { generated: records.length, proposed: data.length - accepted, accepted, duplicates: dropped.length };
      const item = { status: "DONE" as const, message: null, result: { ...outcome, crops: generated.crops } };
      await tx.jobItem.upsert({
        where: { jobId_key: { jobId: job.id, key: image.id } },
        create: { jobId: job.id, key: image.id, ...item },
        update: item,
      });
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}

async function summarise(ctx: JobContext<GenerateParams>, plan: GenerationPlan, total: number): Promise<JsonObject> {
  const items = await ctx.services.prisma.jobItem.findMany({
    where: { jobId: ctx.job.id, status: "DONE", NOT: { key: { startsWith: "~" } } },
    select: { result: true },
  });
  const sum: ImageOutcome = { generated: 0, proposed: 0, accepted: 0, duplicates: 0 };
  for (const { result } of items) {
    const r = (result ?? {}) as Partial<ImageOutcome>;
    for (const k of Object.keys(sum) as (keyof ImageOutcome)[]) sum[k] += r[k] ?? 0;
  }
  const counts = await ctx.itemCounts();
  return {
    summary: `${counts.DONE}/${total} images: ${sum.proposed} proposed, ${sum.accepted} accepted, ${sum.duplicates} duplicates dropped, ${counts.FAILED} images failed`,
    modelVersionId: plan.modelVersionId,
    mode: plan.mode,
    images: total,
    done: counts.DONE,
    failed: counts.FAILED,
    ...sum,
  };
}
