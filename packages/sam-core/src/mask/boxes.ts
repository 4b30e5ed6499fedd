/**
 * Boxes of masks, box IoU and greedy non-maximum suppression, with SAM / torchvision semantics:
 * boxes are `[x0, y0, x1, y1]`, area is `(x1 - x0) * (y1 - y0)` (no +1, as torchvision), mask boxes are
 * inclusive pixel indices (as SAM's `batched_mask_to_box`).
 */
import { MaskInputError } from "./errors.ts";
import type { BinaryMask, Box, XywhBox } from "./types.ts";
import { assertMask } from "./validate.ts";

/** Several same-size masks back to back in one buffer (e.g. binarised `[C, H, W]` decoder output). */
export interface MaskBatch {
  count: number;
  height: number;
  width: number;
  data: Uint8Array;
}

/** Boxes as tuples or as a flat `[x0, y0, x1, y1, x0, ...]` array (what ONNX outputs give). */
export type BoxesLike = readonly Box[] | ArrayLike<number>;

function boxOfPixels(data: Uint8Array, base: number, h: number, w: number): Box {
  let x0 = w;
  let x1 = -1;
  let y0 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    const row = base + y * w;
    let first = 0;
    while (first < w && data[row + first] === 0) first++;
    if (first === w) continue;
    let last = w - 1;
    while (data[row + last] === 0) last--;
    if (y0 < 0) y0 = y;
    y1 = y;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
  }
  return y0 < 0 ? [0, 0, 0, 0] : [x0, y0, x1, y1];
}

/** Inclusive box `[x0, y0, x1, y1]` of the foreground; `[0, 0, 0, 0]` when empty (as SAM). */
export function maskToBox(mask: BinaryMask): Box {
  assertMask(mask);
  return boxOfPixels(mask.data, 0, mask.height, mask.width);
}

/** SAM's `batched_mask_to_box` for a list of masks or a packed batch. */
export function batchedMaskToBox(masks: readonly BinaryMask[] | MaskBatch): Box[] {
  if (Array.isArray(masks)) return (masks as readonly BinaryMask[]).map(maskToBox);
  const { count, height: h, width: w, data } = masks as MaskBatch;
  if (!Number.isInteger(count) || count < 0 || data.length !== count * h * w) {
    throw new MaskInputError(`mask batch of ${count}x${h}x${w} needs ${count * h * w} bytes, got ${data.length}`);
  }
  const out: Box[] = [];
  for (let k = 0; k < count; k++) out.push(boxOfPixels(data, k * h * w, h, w));
  return out;
}

/** Flattens boxes to `[x0, y0, x1, y1, ...]` and checks the shape. */
export function flattenBoxes(boxes: BoxesLike): ArrayLike<number> {
  if (Array.isArray(boxes) && boxes.length > 0 && Array.isArray(boxes[0])) {
    const flat = new Float64Array(boxes.length * 4);
    (boxes as readonly Box[]).forEach((b, i) => {
      if (!Array.isArray(b) || b.length !== 4) throw new MaskInputError(`box ${i} must have 4 numbers`);
      flat.set(b, i * 4);
    });
    return flat;
  }
  const flat = boxes as ArrayLike<number>;
  if (flat.length % 4 !== 0) throw new MaskInputError(`flat box array length ${flat.length} is not a multiple of 4`);
  return flat;
}

/** torchvision's box area: `(x1 - x0) * (y1 - y0)`. */
export function boxArea(box: Box): number {
  return (box[2] - box[0]) * (box[3] - box[1]);
}

/** Areas of many boxes. */
export function boxAreas(boxes: BoxesLike): Float64Array {
  const f = flattenBoxes(boxes);
  const out = new Float64Array(f.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = (f[i * 4 + 2]! - f[i * 4]!) * (f[i * 4 + 3]! - f[i * 4 + 1]!);
  return out;
}

/** IoU of two `[x0, y0, x1, y1]` boxes (torchvision `box_iou`); 0 when both are degenerate (0/0). */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (boxArea(a) + boxArea(b) - inter);
}

/** `[x0, y0, x1, y1]` -> COCO `[x, y, w, h]` (same corner convention, no +1). */
export function xyxyToXywh(b: Box): XywhBox {
  return [b[0], b[1], b[2] - b[0], b[3] - b[1]];
}

/** COCO `[x, y, w, h]` -> `[x0, y0, x1, y1]`. */
export function xywhToXyxy(b: XywhBox): Box {
  return [b[0], b[1], b[0] + b[2], b[1] + b[3]];
}

function checkScores(scores: ArrayLike<number>, n: number): void {
  if (scores.length !== n) throw new MaskInputError(`${n} boxes but ${scores.length} scores`);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new MaskInputError(`score ${i} is NaN`);
  }
}

function greedy(
  f: ArrayLike<number>,
  scores: ArrayLike<number>,
  iouThresh: number,
  sameGroup: (i: number, j: number) => boolean,
): number[] {
  const n = f.length / 4;
  checkScores(scores, n);
  const order = Array.from({ length: n }, (_, i) => i);
  // Array.prototype.sort is stable: ties keep the original order, as torchvision's stable sort.
  order.sort((a, b) => scores[b]! - scores[a]!);
  const areas = new Float64Array(n);
  for (let i = 0; i < n; i++) areas[i] = (f[i * 4 + 2]! - f[i * 4]!) * (f[i * 4 + 3]! - f[i * 4 + 1]!);
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let oi = 0; oi < n; oi++) {
    const i = order[oi]!;
    if (suppressed[i]) continue;
    keep.push(i);
    const ix0 = f[i * 4]!;
    const iy0 = f[i * 4 + 1]!;
    const ix1 = f[i * 4 + 2]!;
    const iy1 = f[i * 4 + 3]!;
    for (let oj = oi + 1; oj < n; oj++) {
      const j = order[oj]!;
      if (suppressed[j] || !sameGroup(i, j)) continue;
      const w = Math.max(0, Math.min(ix1, f[j * 4 + 2]!) - Math.max(ix0, f[j * 4]!));
      const h = Math.max(0, Math.min(iy1, f[j * 4 + 3]!) - Math.max(iy0, f[j * 4 + 1]!));
      const inter = w * h;
      // Plain division like torchvision: 0/0 is NaN, which suppresses nothing.
      if (inter / (areas[i]! + areas[j]! - inter) > iouThresh) suppressed[j] = 1;
    }
  }
  return keep;
}

/**
 * Greedy NMS as `torchvision.ops.nms`: by score descending (ties in input order), drop every later box
 * whose IoU with a kept box is > iouThresh. Returns kept indices, highest score first.
 */
export function nms(boxes: BoxesLike, scores: ArrayLike<number>, iouThresh: number): number[] {
  return greedy(flattenBoxes(boxes), scores, iouThresh, () => true);
}

/**
 * `torchvision.ops.batched_nms`: NMS within each category independently (boxes of different categories
 * never suppress each other). Returns kept indices, highest score first.
 */
export function batchedNms(
  boxes: BoxesLike,
  scores: ArrayLike<number>,
  categories: ArrayLike<number>,
  iouThresh: number,
): number[] {
  const f = flattenBoxes(boxes);
  if (categories.length !== f.length / 4) {
    throw new MaskInputError(`${f.length / 4} boxes but ${categories.length} categories`);
  }
  return greedy(f, scores, iouThresh, (i, j) => categories[i] === categories[j]);
}
