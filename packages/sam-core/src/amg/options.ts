/**
 * Options of automatic mask generation, with the reference `SamAutomaticMaskGenerator` defaults and
 * meanings, plus presets. Everything is validated before any model runs.
 */
import { AmgOptionsError } from "./errors.ts";
import type { PointGrid } from "./point-grids.ts";
import { buildAllLayerPointGrids } from "./point-grids.ts";

export type AmgOutputMode = "binary_mask" | "coco_rle" | "uncompressed_rle";

export interface AmgOptions {
  /** Grid points per image side (n x n prompts); exclusive with `pointGrids`. Default 32. */
  pointsPerSide?: number | null;
  /** Explicit normalised `[x, y]` grids, one per crop layer (0 first); exclusive with `pointsPerSide`. */
  pointGrids?: (readonly (readonly [number, number])[])[] | null;
  /** Prompts decoded per model run. Default 64. */
  pointsPerBatch?: number;
  /** Keep masks whose predicted IoU is strictly above this. 0 disables the filter. Default 0.88. */
  predIouThresh?: number;
  /** Keep masks whose stability score is at least this. 0 disables the filter. Default 0.95. */
  stabilityScoreThresh?: number;
  /** Logit offset of the stability score: area(logits > +o) / area(logits > -o). Default 1.0. */
  stabilityScoreOffset?: number;
  /** Box IoU threshold of the NMS within one crop. Default 0.7. */
  boxNmsThresh?: number;
  /** Extra layers of crops: layer i has (2^i)^2 crops. Default 0. */
  cropNLayers?: number;
  /** Box IoU threshold of the NMS across crops (smaller crops win). Default 0.7. */
  cropNmsThresh?: number;
  /** Overlap between neighbouring crops as a fraction of the shorter image side at layer 1. Default 512/1500. */
  cropOverlapRatio?: number;
  /** Layer i uses `pointsPerSide / factor^i` points per side. Default 1. */
  cropNPointsDownscaleFactor?: number;
  /** When > 0, fill holes and remove islands smaller than this (pixels), then NMS again. Default 0. */
  minMaskRegionArea?: number;
  /**
   * Not in the reference generator (the SA-1B paper's extra filter): drop masks covering at least this
   * fraction of the image. 1 or more disables it. Default 1 (disabled); the `sa1b` preset uses 0.95.
   */
  maxMaskAreaFraction?: number;
  /** Segmentation format of the output records. Default "binary_mask". */
  outputMode?: AmgOutputMode;
}

export interface ResolvedAmgOptions {
  pointGrids: PointGrid[];
  pointsPerBatch: number;
  predIouThresh: number;
  stabilityScoreThresh: number;
  stabilityScoreOffset: number;
  boxNmsThresh: number;
  cropNLayers: number;
  cropNmsThresh: number;
  cropOverlapRatio: number;
  minMaskRegionArea: number;
  maxMaskAreaFraction: number;
  outputMode: AmgOutputMode;
}

export const AMG_DEFAULTS = {
  pointsPerSide: 32,
  pointsPerBatch: 64,
  predIouThresh: 0.88,
  stabilityScoreThresh: 0.95,
  stabilityScoreOffset: 1.0,
  boxNmsThresh: 0.7,
  cropNLayers: 0,
  cropNmsThresh: 0.7,
  cropOverlapRatio: 512 / 1500,
  cropNPointsDownscaleFactor: 1,
  minMaskRegionArea: 0,
  maxMaskAreaFraction: 1,
  outputMode: "binary_mask",
} as const satisfies AmgOptions;

export type AmgPresetName = "default" | "sa1b";

/**
 * `sa1b`: the paper's fully automatic stage — 32x32 grid plus 2 crop layers (16x16 and 8x8 grids),
 * IoU 0.88 / stability 0.95, regions under 100 px cleaned, masks covering >= 95% of the image dropped.
 */
export const AMG_PRESETS: Record<AmgPresetName, AmgOptions> = {
  default: {},
  sa1b: {
    pointsPerSide: 32,
    cropNLayers: 2,
    cropNPointsDownscaleFactor: 2,
    predIouThresh: 0.88,
    stabilityScoreThresh: 0.95,
    minMaskRegionArea: 100,
    maxMaskAreaFraction: 0.95,
    outputMode: "coco_rle",
  },
};

/** Options of a preset, with `overrides` on top. */
export function amgPreset(name: AmgPresetName, overrides: AmgOptions = {}): AmgOptions {
  const preset = AMG_PRESETS[name];
  if (!preset) throw new AmgOptionsError(`unknown preset "${String(name)}"; expected one of ${Object.keys(AMG_PRESETS).join(", ")}`);
  return { ...preset, ...overrides };
}

/** Largest accepted grid side: 512^2 prompts per crop is already far beyond any useful density. */
export const MAX_POINTS_PER_SIDE = 512;
/** Largest accepted number of crop layers (layer 5 alone is 1024 crops). */
export const MAX_CROP_LAYERS = 4;

function fraction(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new AmgOptionsError(`${name} must be a number in [0, 1], got ${String(v)}`);
  }
  return v;
}

function intIn(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new AmgOptionsError(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}

function explicitGrids(grids: unknown, cropNLayers: number): PointGrid[] {
  if (!Array.isArray(grids)) throw new AmgOptionsError("pointGrids must be an array of grids (one per crop layer)");
  if (grids.length !== cropNLayers + 1) {
    throw new AmgOptionsError(`pointGrids has ${grids.length} grids but cropNLayers ${cropNLayers} needs ${cropNLayers + 1}`);
  }
  return grids.map((g: unknown, layer) => {
    if (!Array.isArray(g) || g.length === 0) throw new AmgOptionsError(`pointGrids[${layer}] must be a non-empty array of [x, y] points`);
    const out = new Float64Array(g.length * 2);
    g.forEach((p: unknown, i) => {
      const ok = Array.isArray(p) && p.length === 2 && p.every((c) => typeof c === "number" && c >= 0 && c <= 1);
      if (!ok) throw new AmgOptionsError(`pointGrids[${layer}][${i}] must be [x, y] with both in [0, 1], got ${JSON.stringify(p)}`);
      out[2 * i] = (p as number[])[0]!;
      out[2 * i + 1] = (p as number[])[1]!;
    });
    return out;
  });
}

/** Fills defaults and checks every option; throws AmgOptionsError naming the first bad one. */
export function resolveAmgOptions(options: AmgOptions = {}): ResolvedAmgOptions {
  if (options === null || typeof options !== "object") throw new AmgOptionsError("options must be an object");
  const o = { ...AMG_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  const cropNLayers = intIn("cropNLayers", o.cropNLayers, 0, MAX_CROP_LAYERS);
  const hasGrids = options.pointGrids !== undefined && options.pointGrids !== null;
  const hasSide = options.pointsPerSide !== null && !(hasGrids && options.pointsPerSide === undefined);
  if (hasGrids === hasSide) {
    throw new AmgOptionsError("give exactly one of pointsPerSide and pointGrids (set the other to null)");
  }
  let pointGrids: PointGrid[];
  if (hasGrids) {
    pointGrids = explicitGrids(options.pointGrids, cropNLayers);
  } else {
    const side = intIn("pointsPerSide", o.pointsPerSide, 1, MAX_POINTS_PER_SIDE);
    const factor = intIn("cropNPointsDownscaleFactor", o.cropNPointsDownscaleFactor, 1, MAX_POINTS_PER_SIDE);
    pointGrids = buildAllLayerPointGrids(side, cropNLayers, factor);
  }
  const offset = o.stabilityScoreOffset;
  if (typeof offset !== "number" || !Number.isFinite(offset) || offset < 0) {
    throw new AmgOptionsError(`stabilityScoreOffset must be a finite number >= 0, got ${String(offset)}`);
  }
  const minArea = o.minMaskRegionArea;
  if (typeof minArea !== "number" || !Number.isFinite(minArea) || minArea < 0) {
    throw new AmgOptionsError(`minMaskRegionArea must be a finite number >= 0, got ${String(minArea)}`);
  }
  const maxFrac = o.maxMaskAreaFraction;
  if (typeof maxFrac !== "number" || !(maxFrac > 0)) {
    throw new AmgOptionsError(`maxMaskAreaFraction must be a number > 0 (1 disables it), got ${String(maxFrac)}`);
  }
  const overlap = fraction("cropOverlapRatio", o.cropOverlapRatio);
  if (overlap >= 1) throw new AmgOptionsError(`cropOverlapRatio must be below 1, got ${overlap}`);
  const modes: AmgOutputMode[] = ["binary_mask", "coco_rle", "uncompressed_rle"];
  if (!modes.includes(o.outputMode as AmgOutputMode)) {
    throw new AmgOptionsError(`outputMode must be one of ${modes.join(", ")}, got ${String(o.outputMode)}`);
  }
  return {
    pointGrids,
    pointsPerBatch: intIn("pointsPerBatch", o.pointsPerBatch, 1, 65536),
    predIouThresh: fraction("predIouThresh", o.predIouThresh),
    stabilityScoreThresh: fraction("stabilityScoreThresh", o.stabilityScoreThresh),
    stabilityScoreOffset: offset,
    boxNmsThresh: fraction("boxNmsThresh", o.boxNmsThresh),
    cropNLayers,
    cropNmsThresh: fraction("cropNmsThresh", o.cropNmsThresh),
    cropOverlapRatio: overlap,
    minMaskRegionArea: minArea,
    maxMaskAreaFraction: maxFrac,
    outputMode: o.outputMode as AmgOutputMode,
  };
}
