// Pixel edits on top of a mask: brush and eraser strokes (round pen, in original image pixels) and hole
// filling. The same list of edits is replayed on the live work frame and, at save, at full resolution,
// so what the annotator saw is what is stored.
import { fillHoles } from "@data-engine/sam-core";
import type { Frame } from "./frame.ts";

export type StrokeKind = "brush" | "erase";

export interface Stroke {
  kind: StrokeKind;
  /** Pen radius in original image pixels. */
  radius: number;
  /** The pen's path in original image pixels (one point: a dab). */
  points: readonly (readonly [number, number])[];
}

export type Edit = Stroke | { kind: "fill" };

export class EditError extends Error {
  override name = "EditError";
}

export function assertStroke(stroke: Stroke): void {
  if (!(stroke.radius > 0 && Number.isFinite(stroke.radius))) throw new EditError(`stroke radius must be a positive number, got ${stroke.radius}`);
  if (stroke.points.length === 0) throw new EditError("a stroke needs at least one point");
  for (const [x, y] of stroke.points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new EditError(`stroke point (${x}, ${y}) is not finite`);
  }
}

/**
 * Sets (brush) or clears (erase) every frame pixel whose centre, mapped back to original pixels, lies
 * within `radius` of the stroke's polyline. Works per segment on the segment's bounding box only.
 */
export function applyStroke(mask: Uint8Array, frame: Frame, stroke: Stroke): void {
  assertStroke(stroke);
  const value = stroke.kind === "brush" ? 1 : 0;
  const r = stroke.radius;
  const r2 = r * r;
  const pts = stroke.points.length === 1 ? [stroke.points[0]!, stroke.points[0]!] : stroke.points;
  const { width: fw, height: fh, sx, sy } = frame;
  for (let s = 0; s + 1 < pts.length; s++) {
    const [ax, ay] = pts[s]!;
    const [bx, by] = pts[s + 1]!;
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const xMin = Math.max(0, Math.floor((Math.min(ax, bx) - r) * sx - 0.5));
    const xMax = Math.min(fw - 1, Math.ceil((Math.max(ax, bx) + r) * sx - 0.5));
    const yMin = Math.max(0, Math.floor((Math.min(ay, by) - r) * sy - 0.5));
    const yMax = Math.min(fh - 1, Math.ceil((Math.max(ay, by) + r) * sy - 0.5));
    for (let y = yMin; y <= yMax; y++) {
      const py = (y + 0.5) / sy;
      for (let x = xMin; x <= xMax; x++) {
        const px = (x + 0.5) / sx;
        let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = ax + t * dx - px;
        const ey = ay + t * dy - py;
        if (ex * ex + ey * ey <= r2) mask[y * fw + x] = value;
      }
    }
  }
}

/** Replays `edits` on `mask` (in place, except hole filling, whose result is copied back). */
export function applyEdits(mask: Uint8Array, frame: Frame, edits: readonly Edit[]): Uint8Array {
  for (const edit of edits) {
    if (edit.kind === "fill") {
      const filled = fillHoles({ width: frame.width, height: frame.height, data: mask });
      mask.set(filled.data);
    } else {
      applyStroke(mask, frame, edit);
    }
  }
  return mask;
}
