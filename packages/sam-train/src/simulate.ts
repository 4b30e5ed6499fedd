import type { BinaryMask } from "@data-engine/sam-core";
import type { Prng } from "./random.ts";

/*
 * Prompt simulation as in the SAM paper: a first prompt (a point sampled uniformly inside the object,
 * or its box with noise of std 10% of the side, capped at 20 px of a 1024 frame), then points sampled
 * uniformly from the error region of the previous prediction (foreground where the object was missed,
 * background where it spilled over). Masks live on a square grid of side M (the low-res 4s grid or
 * the input frame S); prompts are returned in the input frame.
 */

export interface Point {
  x: number;
  y: number;
  /** 1 foreground, 0 background, 2/3 box corners, -1 padding. */
  label: number;
}

/** Input-frame coordinate of a random position inside grid cell `i` of a grid `f` times coarser. */
function toFrame(i: number, f: number, rng: Prng | null): number {
  if (f <= 1) return i;
  return i * f + (rng ? rng.int(Math.round(f)) : (f - 1) / 2);
}

export function foregroundCount(mask: BinaryMask): number {
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i]) n++;
  return n;
}

/** A point drawn uniformly from the object's pixels (input frame, label 1). */
export function samplePointInside(mask: BinaryMask, frame: number, rng: Prng): Point {
  const n = foregroundCount(mask);
  if (n === 0) throw new Error("samplePointInside: empty mask");
  let k = rng.int(n);
  const f = frame / mask.width;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] && k-- === 0) {
      const y = Math.floor(i / mask.width);
      return { x: toFrame(i - y * mask.width, f, rng), y: toFrame(y, f, rng), label: 1 };
    }
  }
  throw new Error("unreachable");
}

/** Tight box [x0, y0, x1, y1] of the mask in the input frame (inclusive pixel edges). */
export function maskBoxInFrame(mask: BinaryMask, frame: number): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (!mask.data[y * mask.width + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) throw new Error("maskBoxInFrame: empty mask");
  const f = frame / mask.width;
  return [x0 * f, y0 * f, (x1 + 1) * f - 1, (y1 + 1) * f - 1];
}

/** The object's box with Gaussian noise per corner coordinate, as box-corner points (labels 2, 3). */
export function noisyBox(mask: BinaryMask, frame: number, rng: Prng): [Point, Point] {
  const [x0, y0, x1, y1] = maskBoxInFrame(mask, frame);
  const cap = (20 * frame) / 1024;
  const noise = (side: number) => Math.max(-cap, Math.min(cap, rng.normal() * 0.1 * side));
  const clamp = (v: number) => Math.max(0, Math.min(frame - 1, v));
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  let ax = clamp(x0 + noise(w));
  let ay = clamp(y0 + noise(h));
  let bx = clamp(x1 + noise(w));
  let by = clamp(y1 + noise(h));
  if (ax > bx) [ax, bx] = [bx, ax];
  if (ay > by) [ay, by] = [by, ay];
  return [
    { x: ax, y: ay, label: 2 },
    { x: bx, y: by, label: 3 },
  ];
}

/**
 * A point drawn uniformly from the error region between a prediction and the truth (same grid),
 * labelled 1 where the truth is foreground (missed) and 0 where it is background (spill). Null when
 * the prediction is exact.
 */
export function sampleErrorPoint(
  pred: Uint8Array,
  truth: BinaryMask,
  frame: number,
  rng: Prng,
): Point | null {
  let n = 0;
  const t = truth.data;
  for (let i = 0; i < t.length; i++) if (pred[i]! > 0 !== t[i]! > 0) n++;
  if (n === 0) return null;
  let k = rng.int(n);
  const f = frame / truth.width;
  for (let i = 0; i < t.length; i++) {
    if (pred[i]! > 0 !== t[i]! > 0 && k-- === 0) {
      const y = Math.floor(i / truth.width);
      return { x: toFrame(i - y * truth.width, f, rng), y: toFrame(y, f, rng), label: t[i] ? 1 : 0 };
    }
  }
  throw new Error("unreachable");
}

/**
 * Chamfer (3-4) distance of every pixel of `region` to the nearest pixel outside it, the image
 * border counting as outside. Two raster passes.
 */
export function interiorDistance(region: Uint8Array, w: number, h: number): Float32Array {
  const INF = 1e9;
  const d = new Float32Array(w * h);
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : d[y * w + x]!);
  for (let i = 0; i < d.length; i++) d[i] = region[i] ? INF : 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!d[i]) continue;
      d[i] = Math.min(d[i]!, at(x - 1, y) + 3, at(x, y - 1) + 3, at(x - 1, y - 1) + 4, at(x + 1, y - 1) + 4);
    }
  }
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const i = y * w + x;
      if (!d[i]) continue;
      d[i] = Math.min(d[i]!, at(x + 1, y) + 3, at(x, y + 1) + 3, at(x + 1, y + 1) + 4, at(x - 1, y + 1) + 4);
    }
  }
  return d;
}

/** The pixel deepest inside `region` (first in raster order on ties); null when empty. */
export function deepestPoint(region: Uint8Array, w: number, h: number): { x: number; y: number } | null {
  const d = interiorDistance(region, w, h);
  let best = -1;
  let bi = -1;
  for (let i = 0; i < d.length; i++) {
    if (d[i]! > best && region[i]) {
      best = d[i]!;
      bi = i;
    }
  }
  return bi < 0 ? null : { x: bi % w, y: Math.floor(bi / w) };
}

/** Evaluation click: the centre of the object (deepest interior pixel), label 1, in the input frame. */
export function centerClick(mask: BinaryMask, frame: number): Point {
  const p = deepestPoint(mask.data, mask.width, mask.height);
  if (!p) throw new Error("centerClick: empty mask");
  const f = frame / mask.width;
  return { x: toFrame(p.x, f, null), y: toFrame(p.y, f, null), label: 1 };
}

/**
 * Evaluation corrective click (the standard interactive protocol): the pixel deepest inside the
 * error region, labelled by the truth there. Null when the prediction is exact.
 */
export function correctiveClick(pred: Uint8Array, truth: BinaryMask, frame: number): Point | null {
  const err = new Uint8Array(truth.data.length);
  for (let i = 0; i < err.length; i++) err[i] = pred[i]! > 0 !== truth.data[i]! > 0 ? 1 : 0;
  const p = deepestPoint(err, truth.width, truth.height);
  if (!p) return null;
  const f = frame / truth.width;
  return {
    x: toFrame(p.x, f, null),
    y: toFrame(p.y, f, null),
    label: truth.data[p.y * truth.width + p.x] ? 1 : 0,
  };
}
