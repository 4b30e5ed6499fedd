import type { Box } from "../mask/types.ts";

/**
 * The reference's `is_box_near_crop_edge` (atol 20): true when, after moving the crop-frame box into the
 * image frame, one of its sides lies within `atol` of the matching crop side while not also lying within
 * `atol` of the matching image side. Such a mask is probably cut off by the crop.
 */
export function isBoxNearCropEdge(boxInCrop: Box, cropBox: Box, imageBox: Box, atol = 20): boolean {
  const ox = cropBox[0];
  const oy = cropBox[1];
  const b = [boxInCrop[0] + ox, boxInCrop[1] + oy, boxInCrop[2] + ox, boxInCrop[3] + oy];
  for (let k = 0; k < 4; k++) {
    const nearCrop = Math.abs(b[k]! - cropBox[k]!) <= atol;
    const nearImage = Math.abs(b[k]! - imageBox[k]!) <= atol;
    if (nearCrop && !nearImage) return true;
  }
  return false;
}
