// What a generation job will do, worked out (and checked) before anything is queued and again when it
// first runs: the model, the AMG options (preset < project settings < job overrides), the dedup and
// auto-accept thresholds, and the images. Every failure is a JobParamsError naming what is wrong.
import {
  AmgInputError,
  AmgOptionsError,
  amgPreset,
  assertCropsUsable,
  generateCropBoxes,
  inspectOnnx,
  resolveAmgOptions,
  type AmgOptions,
  type ResolvedAmgOptions,
} from "@data-engine/sam-core";
import type { Prisma as PrismaNS } from "@data-engine/db";
import type { Services } from "../../services.ts";
import { JobParamsError, PermanentJobError } from "../../errors.ts";
import { parseProjectSettings } from "../../project-settings.ts";
import { amgDecoderFiles } from "../../models/load-amg-decoder.ts";
import { resolveModelVersionId } from "../embed/handler.ts";
import type { GenerateParams } from "./params.ts";

export interface GenerationPlan {
  modelVersionId: string;
  mode: GenerateParams["mode"];
  /** The generator's options as given to `generateMasks` (plain JSON, frozen for resumed attempts). */
  amg: AmgOptions;
  dedup: { iouThresh: number; containmentThresh: number };
  autoAccept: { iou: number; stability: number };
}

export interface PlannedImage {
  id: string;
  fileName: string;
  width: number;
  height: number;
  storageKey: string;
}

export async function planGeneration(services: Services, projectId: string, params: GenerateParams): Promise<GenerationPlan> {
  let modelVersionId: string;
  try {
    modelVersionId = await resolveModelVersionId(services, projectId);
  } catch (error) {
    if (error instanceof PermanentJobError) throw new JobParamsError(error.message);
    throw error;
  }
  const project = await services.prisma.project.findUniqueOrThrow({ where: { id: projectId }, select: { settings: true } });
  const settings = parseProjectSettings(project.settings);
  const { preset: projectPreset, ...projectAmg } = settings.generation;
  // Generation always stores compressed RLE; explicit grids are not a project or job setting.
  const amg: AmgOptions = { ...amgPreset(params.preset ?? projectPreset, { ...projectAmg, ...params.amg }), outputMode: "coco_rle" };
  try {
    resolveAmgOptions(amg);
  } catch (error) {
    if (error instanceof AmgOptionsError) throw new JobParamsError(`Invalid generation options (preset, project settings.generation and amg): ${error.message}`);
    throw error;
  }
  return { modelVersionId, mode: params.mode, amg, dedup: settings.dedup, autoAccept: settings.autoAccept };
}

export async function selectImages(services: Services, projectId: string, params: GenerateParams): Promise<PlannedImage[]> {
  const where: PrismaNS.ImageWhereInput = {
    projectId,
    ...(params.imageIds ? { id: { in: params.imageIds } } : {}),
    ...(params.statuses ? { status: { in: params.statuses } } : {}),
  };
  return services.prisma.image.findMany({
    where,
    select: { id: true, fileName: true, width: true, height: true, storageKey: true },
    orderBy: { id: "asc" },
  });
}

/** Every check that can fail before the queue: run by the job type's preflight. */
export async function preflightGeneration(services: Services, projectId: string, params: GenerateParams): Promise<void> {
  const plan = await planGeneration(services, projectId, params);
  const images = await selectImages(services, projectId, params);
  if (params.imageIds) {
    const found = new Set(images.map((i) => i.id));
    const missing = params.imageIds.filter((id) => !found.has(id));
    const inProject = missing.length ? await services.prisma.image.findMany({ where: { id: { in: missing }, projectId }, select: { id: true } }) : [];
    const absent = missing.filter((id) => !inProject.some((i) => i.id === id));
    if (absent.length) throw new JobParamsError(`imageIds: no image ${absent.slice(0, 5).map((id) => `"${id}"`).join(", ")}${absent.length > 5 ? ` (and ${absent.length - 5} more)` : ""} in this project`);
  }
  if (images.length === 0) throw new JobParamsError("No images match the filter: nothing to generate on");
  checkImagesFitCrops(images, resolveAmgOptions(plan.amg));
  await checkModelGeometry(services, plan.modelVersionId, images);
}

function checkImagesFitCrops(images: readonly PlannedImage[], opts: ResolvedAmgOptions): void {
  if (opts.cropNLayers === 0) return;
  for (const image of images) {
    try {
      assertCropsUsable(generateCropBoxes(image.height, image.width, opts.cropNLayers, opts.cropOverlapRatio), image.height, image.width);
    } catch (error) {
      if (error instanceof AmgInputError) throw new JobParamsError(`image "${image.fileName}" (${image.id}): ${error.message}`);
      throw error;
    }
  }
}

/**
 * The decoder generation will use must return several masks per prompt and take the model's
 * embedding shape, and stored embeddings of the chosen images must have that shape.
 */
async function checkModelGeometry(services: Services, modelVersionId: string, images: readonly PlannedImage[]): Promise<void> {
  const model = await services.prisma.modelVersion.findUniqueOrThrow({ where: { id: modelVersionId } });
  const config = (model.config ?? {}) as { embeddingShape?: number[]; inputSize?: number };
  const files = await amgDecoderFiles(services, modelVersionId);
  const bytes = await services.storage.getBytes(files.key).catch(() => {
    throw new JobParamsError(`model "${model.name}" (${model.id}): its decoder file ${files.key} is missing from storage`);
  });
  let info;
  try {
    info = inspectOnnx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), "decoder");
  } catch (error) {
    throw new JobParamsError(`model "${model.name}": its decoder cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (info.role !== "decoder" && info.role !== "decoder-throughput") {
    throw new JobParamsError(`model "${model.name}": automatic generation needs a SAM decoder; its decoder file looks like: ${info.role}`);
  }
  if (info.sam.numMasks !== undefined && info.sam.numMasks < 2) {
    throw new JobParamsError(`model "${model.name}": its decoder returns 1 mask per prompt (a single-mask export); automatic generation needs the multimask export`);
  }
  const shape = info.sam.embeddingShape ?? config.embeddingShape;
  if (!shape) throw new JobParamsError(`model "${model.name}": its decoder does not fix the embedding shape`);
  if (config.embeddingShape && config.embeddingShape.some((d, i) => d !== shape[i])) {
    throw new JobParamsError(`model "${model.name}": the generation decoder takes [${shape.join(",")}] but the model's embeddings are [${config.embeddingShape.join(",")}]`);
  }
  const ids = images.map((i) => i.id);
  for (let i = 0; i < ids.length; i += 5000) {
    const rows = await services.prisma.embedding.findMany({
      where: { modelVersionId, imageId: { in: ids.slice(i, i + 5000) } },
      select: { imageId: true, shape: true, inputSize: true },
    });
    const bad = rows.find((r) => r.shape.length !== shape.length || r.shape.some((d, k) => d !== shape[k]) || (config.inputSize !== undefined && r.inputSize !== config.inputSize));
    if (bad) {
      throw new JobParamsError(
        `the stored embedding of image ${bad.imageId} is [${bad.shape.join(",")}] at input size ${bad.inputSize}, but model "${model.name}" takes [${shape.join(",")}] at ${String(config.inputSize)}: it does not match; delete it and embed again`,
      );
    }
  }
}
