import { applyCoords } from "../image/transforms.ts";
import type { Size } from "../image/preprocess.ts";
import { PromptError } from "./errors.ts";

export type Point = readonly [number, number];
export type BoxXyxy = readonly [number, number, number, number];

export interface SamPrompt {
  /** Clicks in original image pixels (x, y). Points outside the image are allowed (the reference allows them). */
  points?: readonly Point[];
  /** One per point: 1 foreground, 0 background. */
  labels?: readonly number[];
  /** `[x0, y0, x1, y1]` in original image pixels. */
  box?: BoxXyxy;
  /** Low-res logits of a previous prediction (`lowResLogits[i]`), lowResH x lowResW, to refine it. */
  maskInput?: Float32Array;
}

/** The decoder's prompt tensors, already in the resized (encoder input) frame. */
export interface DecoderPromptTensors {
  coords: Float32Array; // [1, N, 2]
  labels: Float32Array; // [1, N]
  numPoints: number;
  maskInput: Float32Array; // [1, 1, lowResH, lowResW]
  hasMaskInput: Float32Array; // [1]
  origImSize: Float32Array; // [2] = [H, W]
}

function assertFinite(values: readonly number[], what: string): void {
  values.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new PromptError(`${what} has a non-finite value at index ${i}: ${String(v)}`);
  });
}

/**
 * Builds decoder inputs exactly as the official ONNX usage does: points, then the box as two corners with
 * labels 2 and 3; with no box a padding point (0, 0) with label -1; all coordinates mapped to the resized
 * frame (after concatenation, so the padding point stays at the origin).
 */
export function buildPromptTensors(prompt: SamPrompt, original: Size, inputSize: number, lowResSize: readonly [number, number]): DecoderPromptTensors {
  const points = prompt.points ?? [];
  const labels = prompt.labels ?? [];
  if (!Array.isArray(points)) throw new PromptError("points must be an array of [x, y]");
  if (points.length !== labels.length) {
    throw new PromptError(`got ${points.length} point(s) but ${labels.length} label(s): give one label (1 foreground, 0 background) per point`);
  }
  points.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) throw new PromptError(`point ${i} must be [x, y]`);
    assertFinite(p as number[], `point ${i}`);
  });
  labels.forEach((l, i) => {
    if (l !== 0 && l !== 1) throw new PromptError(`label ${i} is ${String(l)}: labels must be 1 (foreground) or 0 (background); use \`box\` for boxes`);
  });
  const box = prompt.box;
  if (box !== undefined) {
    if (!Array.isArray(box) || box.length !== 4) throw new PromptError("box must be [x0, y0, x1, y1]");
    assertFinite(box as number[], "box");
    if (box[2] < box[0] || box[3] < box[1]) throw new PromptError(`box [${box.join(", ")}] is inverted: need x0 <= x1 and y0 <= y1`);
  }
  const [lh, lw] = lowResSize;
  if (prompt.maskInput !== undefined) {
    if (!(prompt.maskInput instanceof Float32Array)) throw new PromptError("maskInput must be a Float32Array of low-res logits");
    if (prompt.maskInput.length !== lh * lw) {
      throw new PromptError(`maskInput has ${prompt.maskInput.length} values but the decoder takes ${lh}x${lw} = ${lh * lw} low-res logits`);
    }
    const bad = prompt.maskInput.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new PromptError(`maskInput has a non-finite value at index ${bad}`);
  }
  if (points.length === 0 && box === undefined && prompt.maskInput === undefined) {
    throw new PromptError("empty prompt: give at least one point, a box, or a maskInput");
  }

  const all: [number, number][] = points.map((p) => [p[0], p[1]]);
  const allLabels: number[] = [...labels];
  if (box) {
    all.push([box[0], box[1]], [box[2], box[3]]);
    allLabels.push(2, 3);
  } else {
    all.push([0, 0]);
    allLabels.push(-1);
  }
  const mapped = applyCoords(all, original, inputSize);
  const n = mapped.length;
  const coords = new Float32Array(2 * n);
  mapped.forEach(([x, y], i) => {
    coords[2 * i] = x;
    coords[2 * i + 1] = y;
  });
  return {
    coords,
    labels: Float32Array.from(allLabels),
    numPoints: n,
    maskInput: prompt.maskInput ? prompt.maskInput.slice() : new Float32Array(lh * lw),
    hasMaskInput: Float32Array.of(prompt.maskInput ? 1 : 0),
    origImSize: Float32Array.of(original.height, original.width),
  };
}

/**
 * Which mask tokens to return. With the 4-token decoder: token 0 for a single answer, tokens 1..3 for
 * multimask (the official predictor's slicing). A single-mask export (1 output) returns its one mask.
 */
export function selectTokens(numMasks: number, multimask: boolean): number[] {
  if (numMasks === 4) return multimask ? [1, 2, 3] : [0];
  return Array.from({ length: numMasks }, (_, i) => i);
}
