/** Output records of automatic generation, with the reference's field names and meanings. */
import type { BinaryMask, CocoRle, Rle, XywhBox } from "../mask/types.ts";

export type AmgSegmentation = BinaryMask | CocoRle | Rle;

export interface AmgMaskRecord<S extends AmgSegmentation = AmgSegmentation> {
  /** In the requested output mode: binary mask, compressed COCO RLE, or uncompressed RLE. */
  segmentation: S;
  /** Foreground pixels. */
  area: number;
  /**
   * `[x, y, w, h]` from the inclusive pixel box as the reference writes it: w = x1 - x0 (one less than
   * the COCO width of the same mask).
   */
  bbox: XywhBox;
  predicted_iou: number;
  /** The prompt that produced the mask, in the original image frame. */
  point_coords: [[number, number]];
  stability_score: number;
  /** The crop the mask came from, `[x, y, w, h]`. */
  crop_box: XywhBox;
}

export interface AmgTimings {
  /** Time spent in `encodeCrop` (0 for a crop given as a stored embedding). */
  encodeMs: number;
  /** Time spent in `decodeBatch` (or `scoreBatch` and its `masksOf`). */
  decodeMs: number;
  /** Everything else: filters, upscaling, RLE, NMS, region clean-up, output conversion. */
  postprocessMs: number;
  totalMs: number;
}

export interface AmgStats {
  crops: number;
  prompts: number;
  decoderRuns: number;
  /** Prompts whose masks were decoded: all of them, or with a two-stage decoder those with a mask passing the IoU filter. */
  maskPrompts: number;
  /** Candidate masks (3 per prompt) and how many survived each filter, in order. */
  candidates: number;
  afterIou: number;
  afterStability: number;
  afterCropEdge: number;
  afterCropNms: number;
  /** Per-crop NMS survivors decoded a second time (past the kept-logits budget). */
  redecoded: number;
  output: number;
}

export interface AmgResult<S extends AmgSegmentation = AmgSegmentation> {
  masks: AmgMaskRecord<S>[];
  timings: AmgTimings;
  stats: AmgStats;
}

export interface AmgProgress {
  /** 0-based crop index and the number of crops. */
  crop: number;
  crops: number;
  /** 0-based batch within the crop and the number of batches in it. */
  batch: number;
  batches: number;
  /** Candidate masks kept so far in this crop. */
  kept: number;
}
