/**
 * Region clean-up: SAM's `remove_small_regions` and classic hole filling.
 */
import { connectedComponents } from "./components.ts";
import type { Connectivity } from "./components.ts";
import { MaskInputError } from "./errors.ts";
import type { BinaryMask } from "./types.ts";
import { assertMask } from "./validate.ts";

export type RegionMode = "holes" | "islands";

export interface RegionResult {
  mask: BinaryMask;
  /** False when nothing was small: `mask` is then the input object itself, as in the reference. */
  changed: boolean;
}

function invert(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] === 0 ? 1 : 0;
  return out;
}

function mapLabels(labels: Int32Array, keep: Uint8Array, height: number, width: number): BinaryMask {
  const data = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) data[i] = keep[labels[i]!]!;
  return { height, width, data };
}

/**
 * Exactly SAM's `remove_small_regions(mask, area_thresh, mode)` (segment_anything/utils/amg.py), with
 * 8-connectivity as its `cv2.connectedComponentsWithStats(working, 8)`:
 *
 * - the working mask is the mask itself ("islands") or its inverse ("holes");
 * - small = working-mask components (label != 0) with area < areaThresh; none -> unchanged;
 * - "holes": the result is label 0 of the inverse (= the original foreground) plus the small
 *   components, i.e. small holes are filled. Any small background region counts, including one
 *   touching the image border, and background regions meeting only at a corner are one region;
 * - "islands": the result is every component that is not small; when that would be empty, the single
 *   largest component (first in label order on ties, like `np.argmax`).
 */
export function removeSmallRegions(mask: BinaryMask, areaThresh: number, mode: RegionMode): RegionResult {
  assertMask(mask);
  if (mode !== "holes" && mode !== "islands") {
    throw new MaskInputError(`mode must be "holes" or "islands", got ${JSON.stringify(mode)}`);
  }
  if (typeof areaThresh !== "number" || Number.isNaN(areaThresh)) {
    throw new MaskInputError(`areaThresh must be a number, got ${String(areaThresh)}`);
  }
  const holes = mode === "holes";
  const { height, width } = mask;
  const working = holes ? invert(mask.data) : mask.data;
  const cc = connectedComponents({ height, width, data: working }, 8);

  const keep = new Uint8Array(cc.count);
  let anySmall = false;
  for (let l = 1; l < cc.count; l++) {
    if (cc.area[l]! < areaThresh) {
      anySmall = true;
      keep[l] = 1;
    }
  }
  if (!anySmall) return { mask, changed: false };

  if (holes) {
    keep[0] = 1;
  } else {
    let anyKept = false;
    for (let l = 1; l < cc.count; l++) {
      keep[l] ^= 1; // keep what is not small
      if (keep[l]) anyKept = true;
    }
    if (!anyKept) {
      let best = 1;
      for (let l = 2; l < cc.count; l++) if (cc.area[l]! > cc.area[best]!) best = l;
      keep[best] = 1;
    }
  }
  return { mask: mapLabels(cc.labels, keep, height, width), changed: true };
}

export interface FillHolesOptions {
  /** Only fill holes of at most this many pixels (default: all). */
  maxArea?: number;
  /**
   * Connectivity of the background when finding holes. 4 (default) is the dual of 8-connected
   * foreground: a background region that leaks out only through a diagonal gap is still a hole.
   */
  connectivity?: Connectivity;
}

/** Fills background regions that do not touch the image border (holes), optionally only small ones. */
export function fillHoles(mask: BinaryMask, options: FillHolesOptions = {}): BinaryMask {
  assertMask(mask);
  const maxArea = options.maxArea ?? Infinity;
  const { height: h, width: w } = mask;
  const inverse = invert(mask.data);
  const cc = connectedComponents({ height: h, width: w, data: inverse }, options.connectivity ?? 4);
  const fill = new Uint8Array(cc.count);
  for (let l = 1; l < cc.count; l++) {
    const touchesBorder =
      cc.left[l] === 0 || cc.top[l] === 0 || cc.left[l]! + cc.width[l]! === w || cc.top[l]! + cc.height[l]! === h;
    fill[l] = !touchesBorder && cc.area[l]! <= maxArea ? 1 : 0;
  }
  const data = new Uint8Array(h * w);
  const labels = cc.labels;
  for (let i = 0; i < data.length; i++) {
    const l = labels[i]!;
    data[i] = l === 0 || fill[l] ? 1 : 0;
  }
  return { height: h, width: w, data };
}
