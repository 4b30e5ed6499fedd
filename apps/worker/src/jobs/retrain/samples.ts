// A training snapshot's rows -> the trainer's MaskSample[]: each mask decoded from its RLE and brought to
// the model frame's low-res grid, each image's stored embedding of the base model decoded once.
import { createHash } from "node:crypto";
import { decodeEmbedding, decodeMask, type DecoderConfig } from "@data-engine/sam-core";
import { maskToModelFrame, type MaskSample } from "@data-engine/sam-train";
import type { DatasetSplit } from "@data-engine/db";
import type { Services } from "../../services.ts";

export interface LoadedSplit {
  samples: MaskSample[];
  images: number;
  /** Masks left out, with why (RLE changed since the snapshot, empty after resizing, ...). */
  skipped: { maskId: string; reason: string }[];
  /** Images whose masks have no embedding of the model (the samples carry a null embedding). */
  missingEmbeddings: string[];
}

export async function loadSplit(
  services: Services,
  args: {
    datasetVersionId: string;
    split: DatasetSplit;
    /** The model whose stored embeddings the decoder reads (the base model: its encoder is frozen). */
    embeddingModelId: string;
    /** Embeddings from elsewhere (e.g. an imported encoder run here) instead of the stored ones. */
    embeddingFor?: (imageId: string) => Promise<Float32Array>;
    decoder: DecoderConfig;
    onImage?: (done: number, total: number) => Promise<void>;
  },
): Promise<LoadedSplit> {
  const prisma = services.prisma;
  const items = await prisma.datasetItem.findMany({
    where: { datasetVersionId: args.datasetVersionId, split: args.split },
    select: { maskId: true, imageId: true, rleChecksum: true, mask: { select: { rle: true, image: { select: { width: true, height: true } } } } },
    orderBy: [{ imageId: "asc" }, { maskId: "asc" }],
  });
  const byImage = new Map<string, typeof items>();
  for (const it of items) {
    const list = byImage.get(it.imageId) ?? [];
    list.push(it);
    byImage.set(it.imageId, list);
  }
  const samples: MaskSample[] = [];
  const skipped: LoadedSplit["skipped"] = [];
  const missingEmbeddings: string[] = [];
  const s = args.decoder.embeddingSize;
  const shape = [1, args.decoder.transformerDim, s, s];
  // The stored embeddings' keys in one query, not one per image.
  const storedKeys = args.embeddingFor
    ? new Map<string, string>()
    : new Map(
        (await prisma.embedding.findMany({
          where: { modelVersionId: args.embeddingModelId, imageId: { in: [...byImage.keys()] } },
          select: { imageId: true, storageKey: true },
        })).map((row) => [row.imageId, row.storageKey]),
      );
  let done = 0;
  for (const [imageId, list] of byImage) {
    await args.onImage?.(done++, byImage.size);
    let embedding: Float32Array | null = args.embeddingFor ? await args.embeddingFor(imageId) : null;
    const storageKey = storedKeys.get(imageId);
    if (storageKey) {
      const bytes = await services.storage.getBytes(storageKey);
      const e = decodeEmbedding(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (e.shape.join(",") !== shape.join(",")) {
        throw new Error(`image ${imageId}: its stored embedding is [${e.shape.join(",")}] but the decoder takes [${shape.join(",")}]`);
      }
      embedding = e.data;
    } else if (!embedding) missingEmbeddings.push(imageId);
    for (const it of list) {
      const rle = it.mask.rle;
      if (createHash("sha256").update(rle, "utf8").digest("hex") !== it.rleChecksum) {
        skipped.push({ maskId: it.maskId, reason: "its RLE changed since the snapshot was frozen" });
        continue;
      }
      const { width, height } = it.mask.image;
      const full = decodeMask({ size: [height, width], counts: rle });
      const mask = maskToModelFrame(full, args.decoder, "low");
      if (!mask.data.some((v) => v !== 0)) {
        skipped.push({ maskId: it.maskId, reason: "too small: nothing left at the model's low-res grid" });
        continue;
      }
      samples.push({ imageId, embedding, embShape: shape, mask });
    }
  }
  return { samples, images: byImage.size, skipped, missingEmbeddings };
}
