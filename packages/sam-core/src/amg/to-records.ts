import { xyxyToXywh } from "../mask/boxes.ts";
import { compressRle } from "../mask/rle-coco.ts";
import { rleToMask } from "../mask/rle.ts";
import type { Candidate } from "./candidate.ts";
import type { AmgOutputMode } from "./options.ts";
import type { AmgMaskRecord, AmgSegmentation } from "./records.ts";

/** Candidates -> output records in the reference's field layout, converting one mask at a time. */
export function toRecords(masks: readonly Candidate[], mode: AmgOutputMode): AmgMaskRecord[] {
  return masks.map((m) => {
    let segmentation: AmgSegmentation;
    if (mode === "coco_rle") segmentation = compressRle(m.rle);
    else if (mode === "uncompressed_rle") segmentation = { size: [m.rle.size[0], m.rle.size[1]], counts: Array.from(m.rle.counts) };
    else segmentation = rleToMask(m.rle);
    return {
      segmentation,
      area: m.area,
      bbox: xyxyToXywh(m.box),
      predicted_iou: m.iouPred,
      point_coords: [[m.point[0], m.point[1]]],
      stability_score: m.stability,
      crop_box: xyxyToXywh(m.cropBox),
    };
  });
}
