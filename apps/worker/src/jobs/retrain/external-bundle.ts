// The contract with an external trainer (full-model training on GPUs elsewhere), producer side: a frozen
// training snapshot and its base model written to storage as a bundle that any trainer can read without
// this product's code: a manifest, one JSON line per image and per mask (COCO RLE), and a job spec
// saying what to train and where to put the result. docs/external-trainer.md describes the format.
import { createHash } from "node:crypto";
import type { Services } from "../../services.ts";
import { NotFoundError, PermanentJobError } from "../../errors.ts";
import { PAPER_LOSS_WEIGHTS, PAPER_SIMULATION } from "@data-engine/sam-train";
import { existingTrainingSnapshot } from "./snapshot.ts";

export const BUNDLE_FORMAT = "data-engine/training-bundle@1";
export const JOB_FORMAT = "data-engine/training-job@1";

export function bundlePrefix(projectId: string, datasetVersionId: string, baseModelId: string): string {
  return `projects/${projectId}/training-bundles/${datasetVersionId}-${baseModelId}/`;
}

export interface BundleResult {
  prefix: string;
  images: number;
  masks: number;
  /** sha256 of manifest.json as written. */
  checksum: string;
}

export interface BundleRequest {
  projectId: string;
  datasetVersionId: string;
  baseModelVersionId: string;
  /** What the external trainer is asked to train. */
  train?: "decoder" | "encoder+decoder";
  /** Free-form hyperparameters passed through to the trainer (steps, lr, batch size, ...). */
  hyperparameters?: Record<string, unknown>;
}

export async function writeTrainingBundle(services: Services, req: BundleRequest): Promise<BundleResult> {
  const prisma = services.prisma;
  const dataset = await existingTrainingSnapshot(services, req.projectId, req.datasetVersionId).catch((e: unknown) => {
    throw e instanceof PermanentJobError ? new NotFoundError(e.message) : e;
  });
  const base = await prisma.modelVersion.findUnique({ where: { id: req.baseModelVersionId } });
  if (!base || (base.projectId && base.projectId !== req.projectId)) throw new NotFoundError(`No model version "${req.baseModelVersionId}" for this project`);
  const project = await prisma.project.findUniqueOrThrow({ where: { id: req.projectId }, select: { id: true, slug: true, name: true } });
  const prefix = bundlePrefix(req.projectId, dataset.id, base.id);

  const items = await prisma.datasetItem.findMany({
    where: { datasetVersionId: dataset.id },
    orderBy: [{ imageId: "asc" }, { maskId: "asc" }],
    select: {
      maskId: true, imageId: true, split: true, rleChecksum: true,
      mask: { select: { rle: true, labelClass: { select: { name: true } } } },
    },
  });
  const imageIds = [...new Set(items.map((i) => i.imageId))];
  const images = await prisma.image.findMany({
    where: { id: { in: imageIds } },
    select: { id: true, storageKey: true, width: true, height: true, sha256: true, fileName: true, embeddings: { where: { modelVersionId: base.id }, select: { storageKey: true } } },
    orderBy: { id: "asc" },
  });
  const size = new Map(images.map((i) => [i.id, [i.height, i.width]]));
  const split = new Map(items.map((i) => [i.imageId, i.split]));
  const imageLines = images.map((i) =>
    JSON.stringify({ id: i.id, key: i.storageKey, fileName: i.fileName, width: i.width, height: i.height, sha256: i.sha256, split: split.get(i.id), embeddingKey: i.embeddings[0]?.storageKey ?? null }),
  );
  const maskLines = items.map((i) =>
    JSON.stringify({ id: i.maskId, imageId: i.imageId, split: i.split, label: i.mask.labelClass?.name ?? null, rleChecksum: i.rleChecksum, segmentation: { size: size.get(i.imageId), counts: i.mask.rle } }),
  );
  const text = (lines: string[]) => Buffer.from(lines.length ? `${lines.join("\n")}\n` : "", "utf8");
  const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
  const imagesFile = text(imageLines);
  const masksFile = text(maskLines);
  const cfg = (base.config ?? {}) as Record<string, unknown>;
  const job = {
    format: JOB_FORMAT,
    train: req.train ?? "decoder",
    baseModel: {
      id: base.id, name: base.name, architecture: base.architecture, inputSize: cfg.inputSize ?? null, embeddingShape: cfg.embeddingShape ?? null,
      encoder: { key: base.encoderKey, sha256: base.encoderSha256, externalData: cfg.encoderExternalData ?? [] },
      decoder: { key: base.decoderKey, sha256: base.decoderSha256, externalData: cfg.decoderExternalData ?? [] },
    },
    // The paper's recipe (DATA-ENGINE.md section 3), as a default the trainer may refine.
    recipe: { loss: PAPER_LOSS_WEIGHTS, simulation: PAPER_SIMULATION, trainOn: "TRAIN", neverTrainOn: "HELDOUT" },
    hyperparameters: req.hyperparameters ?? {},
    outputs: {
      prefix: `${prefix}result/`,
      decoder: "decoder.onnx: SAM's public decoder export contract (image_embeddings, point_coords, point_labels, mask_input, has_mask_input, orig_im_size -> masks, iou_predictions, low_res_masks)",
      encoder: "encoder.onnx: only when the encoder was trained; the same input/output contract as the base encoder",
      metrics: "metrics.json: optional, the trainer's own numbers (kept for reference; the product re-evaluates on HELDOUT)",
    },
    importWith: `data-engine training import --project ${project.slug} --bundle ${prefix}`,
  };
  const jobFile = Buffer.from(JSON.stringify(job, null, 2), "utf8");
  const manifest = {
    format: BUNDLE_FORMAT,
    createdAt: new Date().toISOString(),
    project,
    dataset: {
      id: dataset.id, name: dataset.name, checksum: dataset.checksum, splitSeed: dataset.splitSeed, heldOutFraction: dataset.heldOutFraction,
      images: images.length, masks: items.length,
      trainMasks: items.filter((i) => i.split === "TRAIN").length, heldOutMasks: items.filter((i) => i.split === "HELDOUT").length,
    },
    keys: "object keys are relative to the product's storage (its S3 bucket, or DATA_DIR/files)",
    files: {
      "images.jsonl": { sha256: sha(imagesFile), lines: imageLines.length },
      "masks.jsonl": { sha256: sha(masksFile), lines: maskLines.length },
      "job.json": { sha256: sha(jobFile) },
    },
  };
  const manifestFile = Buffer.from(JSON.stringify(manifest, null, 2), "utf8");
  const json = { contentType: "application/json" };
  await services.storage.put(`${prefix}images.jsonl`, imagesFile, json);
  await services.storage.put(`${prefix}masks.jsonl`, masksFile, json);
  await services.storage.put(`${prefix}job.json`, jobFile, json);
  // Written last: a reader that finds the manifest finds everything it lists.
  await services.storage.put(`${prefix}manifest.json`, manifestFile, json);
  return { prefix, images: images.length, masks: items.length, checksum: sha(manifestFile) };
}
