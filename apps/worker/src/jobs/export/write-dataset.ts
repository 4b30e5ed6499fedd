// Writes the files of a dataset version from its frozen snapshot, one page of masks at a time: SA-1B JSON
// per image, COCO instances JSON (assembled from streamed parts), optional PNG masks and images.
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import sharp from "sharp";
import {
  decodeMask,
  decodeRleCounts,
  maskToPolygons,
  polygonsToCocoSegmentation,
  rleArea,
  rleBbox,
  type CocoRle,
} from "@data-engine/sam-core";
import type { Services } from "../../services.ts";
import { StorageNotFoundError } from "@data-engine/storage";
import { TextFileWriter } from "./file-writer.ts";
import type { ExportOptions } from "./params.ts";

const PAGE = 2000;
const IMAGE_BATCH = 100;

export interface WriteResult {
  imageCount: number;
  maskCount: number;
  invalidMasks: { maskId: string; reason: string }[];
  /** Images whose file is gone from storage (with includeImages): their annotations are still exported. */
  missingImages: { imageId: string; reason: string }[];
}

interface ImageInfo {
  id: string;
  fileName: string;
  width: number;
  height: number;
  storageKey: string;
  mimeType: string;
}

interface PageRow {
  imageId: string;
  maskId: string;
  rle: string;
  labelClassId: string | null;
  predictedIou: number | null;
  stabilityScore: number | null;
  pointCoords: unknown;
  cropBox: number[] | null;
  fileName: string;
  width: number;
  height: number;
  storageKey: string;
  mimeType: string;
}

interface Category {
  id: number;
  name: string;
}

export async function writeDataset(
  services: Services,
  args: {
    datasetVersionId: string;
    projectId: string;
    dir: string;
    options: ExportOptions;
    createdAt: Date;
    name: string;
    onProgress: (masksDone: number, total: number) => Promise<void>;
  },
): Promise<WriteResult> {
  const { dir, options, datasetVersionId } = args;
  const prisma = services.prisma;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const wantSa1b = options.formats.includes("sa1b");
  const wantCoco = options.formats.includes("coco");
  if (wantSa1b) await mkdir(path.join(dir, "sa1b"));
  if (wantCoco) await mkdir(path.join(dir, "coco"));
  if (options.pngMasks) await mkdir(path.join(dir, "masks"));
  if (options.includeImages) await mkdir(path.join(dir, "images"));

  const labelClasses = await prisma.labelClass.findMany({
    where: { projectId: args.projectId },
    orderBy: [{ sortOrder: "asc" }, { name: "asc" }],
    select: { id: true, name: true },
  });
  const categoryOf = new Map<string, Category>(labelClasses.map((l, i) => [l.id, { id: i + 1, name: l.name }]));
  const unlabeled: Category = { id: labelClasses.length + 1, name: "unlabeled" };
  let usedUnlabeled = false;

  const total = await prisma.datasetItem.count({ where: { datasetVersionId } });
  const tmpImages = path.join(dir, ".coco-images.part");
  const tmpAnns = path.join(dir, ".coco-annotations.part");
  const cocoImages = wantCoco ? new TextFileWriter(tmpImages) : undefined;
  const cocoAnns = wantCoco ? new TextFileWriter(tmpAnns) : undefined;

  let imageCount = 0;
  let maskCount = 0;
  const invalidMasks: WriteResult["invalidMasks"] = [];
  const missingImages: WriteResult["missingImages"] = [];
  let current: { info: ImageInfo; number: number; sa1b: unknown[] } | undefined;

  const finishImage = async () => {
    if (!current) return;
    const { info, number, sa1b } = current;
    if (wantSa1b) {
      const doc = {
        image: { image_id: number, width: info.width, height: info.height, file_name: exportedFileName(info) },
        annotations: sa1b,
      };
      const w = new TextFileWriter(path.join(dir, "sa1b", `${info.id}.json`));
      await w.write(JSON.stringify(doc));
      await w.close();
    }
    if (options.includeImages) {
      try {
        await pipeline(await services.storage.get(info.storageKey), createWriteStream(path.join(dir, "images", exportedFileName(info))));
      } catch (error) {
        // A deleted file is this image's failure, recorded in the manifest; other storage errors may
        // pass, so they fail the attempt and the queue retries it.
        if (!(error instanceof StorageNotFoundError)) throw error;
        missingImages.push({ imageId: info.id, reason: error.message });
      }
    }
    current = undefined;
  };

  for await (const page of readPages(services, datasetVersionId)) {
    for (const item of page) {
      if (current?.info.id !== item.imageId) {
        await finishImage();
        const info: ImageInfo = {
          id: item.imageId,
          fileName: item.fileName,
          width: Number(item.width),
          height: Number(item.height),
          storageKey: item.storageKey,
          mimeType: item.mimeType,
        };
        imageCount++;
        current = { info, number: imageCount, sa1b: [] };
        if (cocoImages) {
          await cocoImages.write(
            (imageCount > 1 ? "," : "") +
              JSON.stringify({
                id: imageCount,
                file_name: exportedFileName(info),
                width: info.width,
                height: info.height,
                original_file_name: info.fileName,
                data_engine_image_id: info.id,
              }),
          );
        }
      }
      const image = current!;
      const { info, number } = image;
      const rle: CocoRle = { size: [info.height, info.width], counts: item.rle };
      try {
        decodeRleCounts(rle.counts, info.height * info.width);
      } catch (error) {
        invalidMasks.push({ maskId: item.maskId, reason: error instanceof Error ? error.message : String(error) });
        continue;
      }
      maskCount++;
      const annId = maskCount;
      const area = rleArea(rle);
      const bbox = rleBbox(rle);
      const points = typeof item.pointCoords === "string" ? (JSON.parse(item.pointCoords) as unknown) : item.pointCoords;
      const pointCoords = Array.isArray(points) ? points : [];
      const cropBox = Array.isArray(item.cropBox) && item.cropBox.length === 4 ? item.cropBox.map(Number) : [0, 0, info.width, info.height];
      if (wantSa1b) {
        image.sa1b.push({
          id: annId,
          segmentation: { size: rle.size, counts: rle.counts },
          bbox,
          area,
          predicted_iou: item.predictedIou ?? null,
          stability_score: item.stabilityScore ?? null,
          crop_box: cropBox,
          point_coords: pointCoords,
        });
      }
      let category = item.labelClassId ? categoryOf.get(item.labelClassId) : undefined;
      if (!category) {
        category = unlabeled;
        usedUnlabeled = true;
      }
      if (cocoAnns) {
        let segmentation: unknown = { size: rle.size, counts: rle.counts };
        if (options.polygons) {
          const polygons = polygonsToCocoSegmentation(maskToPolygons(decodeMask(rle)));
          if (polygons.length > 0) segmentation = polygons;
        }
        await cocoAnns.write(
          (annId > 1 ? "," : "") +
            JSON.stringify({
              id: annId,
              image_id: number,
              category_id: category.id,
              segmentation,
              area,
              bbox,
              iscrowd: 0,
              predicted_iou: item.predictedIou ?? null,
              stability_score: item.stabilityScore ?? null,
              data_engine_mask_id: item.maskId,
            }),
        );
      }
      if (options.pngMasks) {
        const mask = decodeMask(rle);
        const pixels = Buffer.alloc(mask.data.length);
        for (let i = 0; i < pixels.length; i++) pixels[i] = mask.data[i] ? 255 : 0;
        const folder = path.join(dir, "masks", info.id);
        await mkdir(folder, { recursive: true });
        await sharp(pixels, { raw: { width: mask.width, height: mask.height, channels: 1 } })
          .toColourspace("b-w")
          .png({ compressionLevel: 6 })
          .toFile(path.join(folder, `${annId}.png`));
      }
    }
    await args.onProgress(maskCount + invalidMasks.length, total);
  }
  await finishImage();

  if (cocoImages && cocoAnns) {
    await cocoImages.close();
    await cocoAnns.close();
    const categories = [...categoryOf.values()];
    if (usedUnlabeled) categories.push(unlabeled);
    const head = JSON.stringify({
      info: {
        description: args.name,
        version: datasetVersionId,
        date_created: args.createdAt.toISOString(),
        contributor: "SAM data engine",
      },
      licenses: [],
      categories: categories.map((c) => ({ id: c.id, name: c.name, supercategory: "object" })),
    }).slice(0, -1);
    const out = createWriteStream(path.join(dir, "coco", "instances.json"));
    await pipeline(async function* () {
      yield `${head},"images":[`;
      for await (const chunk of createReadStream(tmpImages)) yield chunk;
      yield `],"annotations":[`;
      for await (const chunk of createReadStream(tmpAnns)) yield chunk;
      yield "]}";
    }, out);
    await rm(tmpImages);
    await rm(tmpAnns);
  }
  return { imageCount, maskCount, invalidMasks, missingImages };
}

/**
 * The snapshot's masks in (image, mask) order, at most PAGE rows at a time. Images are taken a batch at a
 * time through the (version, split, image) index, and masks keyset-paginated within the batch, so no
 * query sorts more than one batch of images' masks however large the dataset is. Raw SQL: Prisma's
 * nested reads cost more than the export itself at this size.
 */
async function* readPages(services: Services, datasetVersionId: string): AsyncGenerator<PageRow[]> {
  const prisma = services.prisma;
  let lastImage = "";
  for (;;) {
    const batch = (
      await prisma.$queryRawUnsafe<{ imageId: string }[]>(
        `SELECT DISTINCT "imageId" FROM "DatasetItem"
          WHERE "datasetVersionId" = $1 AND "split" = 'TRAIN' AND "imageId" > $2
          ORDER BY "imageId" LIMIT ${IMAGE_BATCH}`,
        datasetVersionId,
        lastImage,
      )
    ).map((r) => r.imageId);
    if (batch.length === 0) return;
    lastImage = batch[batch.length - 1]!;
    let after = { imageId: "", maskId: "" };
    for (;;) {
      const page = await prisma.$queryRawUnsafe<PageRow[]>(
        `SELECT di."imageId", di."maskId", m."rle", m."labelClassId", m."predictedIou", m."stabilityScore",
                m."pointCoords", m."cropBox", i."fileName", i."width", i."height", i."storageKey", i."mimeType"
           FROM "DatasetItem" di
           JOIN "Mask" m ON m."id" = di."maskId"
           JOIN "Image" i ON i."id" = di."imageId"
          WHERE di."datasetVersionId" = $1 AND di."split" = 'TRAIN' AND di."imageId" = ANY($2::text[])
            AND (di."imageId", di."maskId") > ($3, $4)
          ORDER BY di."imageId", di."maskId"
          LIMIT ${PAGE}`,
        datasetVersionId,
        batch,
        after.imageId,
        after.maskId,
      );
      if (page.length > 0) yield page;
      if (page.length < PAGE) break;
      const last = page[page.length - 1]!;
      after = { imageId: last.imageId, maskId: last.maskId };
    }
  }
}

function exportedFileName(info: ImageInfo): string {
  return `${info.id}.${info.mimeType === "image/png" ? "png" : "jpg"}`;
}
