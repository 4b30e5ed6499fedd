import { encodeMask } from "../mask/rle.ts";
import { rleArea, rleBbox } from "../mask/rle-ops.ts";
import type { CocoRle, XywhBox } from "../mask/types.ts";
import type { Point } from "./prompt.ts";
import type { Prediction } from "./sam-predictor.ts";

/** One SA-1B-style annotation (the `annotations[]` entries of an SA-1B image JSON). */
export interface MaskRecord {
  id: number;
  segmentation: CocoRle;
  /** COCO `[x, y, w, h]` of the mask. */
  bbox: XywhBox;
  area: number;
  predicted_iou: number;
  /** The prompt points in original image pixels (SA-1B lists the sampled point here). */
  point_coords: [number, number][];
  stability_score?: number;
  /** `[x, y, w, h]` of the crop the mask came from: the whole image for interactive predictions. */
  crop_box: XywhBox;
}

/** Compressed COCO RLE of each predicted mask (pycocotools-compatible strings). */
export function predictionToRles(prediction: Prediction): CocoRle[] {
  return prediction.masks.map(encodeMask);
}

export function predictionToRecords(prediction: Prediction, points: readonly Point[] = [], firstId = 1): MaskRecord[] {
  return predictionToRles(prediction).map((rle, i) => {
    const [h, w] = rle.size;
    const rec: MaskRecord = {
      id: firstId + i,
      segmentation: rle,
      bbox: rleBbox(rle),
      area: rleArea(rle),
      predicted_iou: prediction.scores[i]!,
      point_coords: points.map((p) => [p[0], p[1]]),
      crop_box: [0, 0, w, h],
    };
    if (prediction.stabilityScores) rec.stability_score = prediction.stabilityScores[i]!;
    return rec;
  });
}
