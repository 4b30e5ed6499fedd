/**
 * The reference's optional clean-up (`postprocess_small_regions`): fill holes and remove islands
 * smaller than `minArea`, then box NMS where unchanged masks (score 1) win over changed ones (score 0),
 * so a cleaned duplicate never replaces an untouched mask. Masks are decoded one at a time, so memory
 * stays at one full-resolution mask whatever their number.
 */
import { maskToBox, nms } from "../mask/boxes.ts";
import { removeSmallRegions } from "../mask/regions.ts";
import { maskToRle, rleToMask } from "../mask/rle.ts";
import { rleArea } from "../mask/rle-ops.ts";
import type { Box, Rle } from "../mask/types.ts";
import type { Candidate } from "./candidate.ts";

export function postprocessSmallRegions(masks: Candidate[], minArea: number, nmsThresh: number): Candidate[] {
  if (masks.length === 0) return masks;
  const boxes: Box[] = [];
  const scores: number[] = [];
  const cleaned: (Rle | null)[] = [];
  for (const m of masks) {
    const mask = rleToMask(m.rle);
    const holes = removeSmallRegions(mask, minArea, "holes");
    const islands = removeSmallRegions(holes.mask, minArea, "islands");
    const unchanged = !holes.changed && !islands.changed;
    scores.push(unchanged ? 1 : 0);
    boxes.push(maskToBox(islands.mask));
    cleaned.push(unchanged ? null : maskToRle(islands.mask));
  }
  const keep = nms(boxes, scores, nmsThresh);
  return keep.map((i) => {
    const m = masks[i]!;
    const rle = cleaned[i];
    if (!rle) return m;
    return { ...m, rle, box: boxes[i]!, area: rleArea(rle) };
  });
}
