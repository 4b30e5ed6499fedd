/**
 * Crop boxes for the crop layers, as the reference's `generate_crop_boxes`: the full image first, then
 * for layer i (1-based) a 2^i x 2^i set of overlapping crops, listed column by column (x outer, y inner).
 * Boxes are `[x0, y0, x1, y1]` with exclusive ends, clipped to the image.
 */
import type { Box } from "../mask/types.ts";
import { AmgInputError } from "./errors.ts";

export interface CropBox {
  box: Box;
  /** 0 for the full image, i for the (2^i)^2 crops of layer i. */
  layer: number;
}

function cropLen(origLen: number, nCrops: number, overlap: number): number {
  return Math.ceil((overlap * (nCrops - 1) + origLen) / nCrops);
}

export function generateCropBoxes(height: number, width: number, nLayers: number, overlapRatio: number): CropBox[] {
  const crops: CropBox[] = [{ box: [0, 0, width, height], layer: 0 }];
  const shortSide = Math.min(height, width);
  for (let i = 0; i < nLayers; i++) {
    const perSide = 2 ** (i + 1);
    const overlap = Math.trunc(overlapRatio * shortSide * (2 / perSide));
    const cropW = cropLen(width, perSide, overlap);
    const cropH = cropLen(height, perSide, overlap);
    const xs: number[] = [];
    const ys: number[] = [];
    for (let k = 0; k < perSide; k++) {
      xs.push(Math.trunc((cropW - overlap) * k));
      ys.push(Math.trunc((cropH - overlap) * k));
    }
    for (const x0 of xs) {
      for (const y0 of ys) crops.push({ box: [x0, y0, Math.min(x0 + cropW, width), Math.min(y0 + cropH, height)], layer: i + 1 });
    }
  }
  return crops;
}

/** Throws unless every crop is a non-empty region inside the image. */
export function assertCropsUsable(crops: readonly CropBox[], height: number, width: number): void {
  for (const { box, layer } of crops) {
    const [x0, y0, x1, y1] = box;
    if (!(x0 >= 0 && y0 >= 0 && x1 <= width && y1 <= height && x1 > x0 && y1 > y0)) {
      throw new AmgInputError(
        `image ${width}x${height} is too small for crop layer ${layer}: crop [${box.join(", ")}] is empty; ` +
          `use fewer crop layers or a larger image`,
      );
    }
  }
}
