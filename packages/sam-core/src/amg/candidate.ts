import type { Box, Rle } from "../mask/types.ts";

/** A mask that passed the per-prompt filters, kept as RLE in the original image frame. */
export interface Candidate {
  rle: Rle;
  area: number;
  /** Inclusive pixel box `[x0, y0, x1, y1]` in the image frame. */
  box: Box;
  /** The same box in the crop frame (what the per-crop NMS sees, as in the reference). */
  boxInCrop: Box;
  /** float32 values, as the model produced them. */
  iouPred: number;
  stability: number;
  /** The prompt in the image frame. */
  point: [number, number];
  cropBox: Box;
}
