/**
 * Dropping newly generated masks that repeat masks an image already has (e.g. semi-automatic stage:
 * pre-fill only what annotators have not drawn). Pure and deterministic; works on RLE without decoding,
 * with a box test first so far-apart pairs cost nothing.
 */
import { toRle } from "../mask/rle.ts";
import { rleArea, rleBbox, rleIntersectionArea } from "../mask/rle-ops.ts";
import type { AnyRle, Rle, XywhBox } from "../mask/types.ts";
import { AmgOptionsError } from "./errors.ts";

export interface DedupOptions {
  /** Drop a new mask when its mask IoU with an existing one is at least this. Default 0.7. */
  iouThresh?: number;
  /**
   * Drop a new mask when intersection / area(new) or intersection / area(existing) is at least this
   * (one lies mostly inside the other). Default 0.9; 1 keeps only exact containment as duplicate.
   */
  containmentThresh?: number;
}

export interface DedupDrop {
  /** Index in `newMasks`. */
  index: number;
  /** Index in `existing` of the first mask it duplicates. */
  existing: number;
  reason: "iou" | "containment";
  value: number;
}

export interface DedupResult<T> {
  kept: T[];
  /** Indices (in `newMasks`) of the kept masks, ascending. */
  keptIndices: number[];
  dropped: DedupDrop[];
}

interface Prepared {
  rle: Rle;
  area: number;
  box: XywhBox;
}

function prepare(rle: AnyRle): Prepared {
  const r = toRle(rle);
  return { rle: r, area: rleArea(r), box: rleBbox(r) };
}

function boxesOverlap(a: XywhBox, b: XywhBox): boolean {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

function threshold(name: string, v: number): number {
  if (typeof v !== "number" || !(v > 0 && v <= 1)) throw new AmgOptionsError(`${name} must be in (0, 1], got ${String(v)}`);
  return v;
}

/** The RLE of a new mask: the mask itself, or the `segmentation` of an AMG record in an RLE mode. */
function defaultRleOf(m: unknown): AnyRle {
  const seg = (m as { segmentation?: unknown })?.segmentation;
  const r = (seg ?? m) as AnyRle;
  if (!r || typeof r !== "object" || !("counts" in r) || !("size" in r)) {
    throw new AmgOptionsError("dedupAgainstExisting needs RLE masks (or records whose segmentation is an RLE); pass rleOf");
  }
  return r;
}

/**
 * Keeps the new masks that duplicate no existing mask, in their original order. An empty new mask is
 * never a duplicate of anything (it has no pixels to share).
 */
export function dedupAgainstExisting<T>(
  newMasks: readonly T[],
  existing: readonly AnyRle[],
  options: DedupOptions & { rleOf?: (m: T) => AnyRle } = {},
): DedupResult<T> {
  const iouThresh = threshold("iouThresh", options.iouThresh ?? 0.7);
  const containThresh = threshold("containmentThresh", options.containmentThresh ?? 0.9);
  const rleOf = options.rleOf ?? defaultRleOf;
  const old = existing.map(prepare);
  const kept: T[] = [];
  const keptIndices: number[] = [];
  const dropped: DedupDrop[] = [];
  newMasks.forEach((m, index) => {
    const n = prepare(rleOf(m));
    let drop: DedupDrop | undefined;
    if (n.area > 0) {
      for (let j = 0; j < old.length && !drop; j++) {
        const o = old[j]!;
        if (o.area === 0 || !boxesOverlap(n.box, o.box)) continue;
        const inter = rleIntersectionArea(n.rle, o.rle);
        if (inter === 0) continue;
        const iou = inter / (n.area + o.area - inter);
        const contain = Math.max(inter / n.area, inter / o.area);
        if (iou >= iouThresh) drop = { index, existing: j, reason: "iou", value: iou };
        else if (contain >= containThresh) drop = { index, existing: j, reason: "containment", value: contain };
      }
    }
    if (drop) dropped.push(drop);
    else {
      kept.push(m);
      keptIndices.push(index);
    }
  });
  return { kept, keptIndices, dropped };
}
