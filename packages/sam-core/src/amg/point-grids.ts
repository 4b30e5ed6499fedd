/**
 * Prompt grids for automatic generation, in normalised [0, 1] x [0, 1] coordinates: the centres of an
 * n x n tiling, row by row (y outer, x inner), as the reference's `build_point_grid`.
 */
import { AmgOptionsError } from "./errors.ts";

/** A grid of `[x, y]` points in [0, 1], flattened: `xy[2 * i]`, `xy[2 * i + 1]`. */
export type PointGrid = Float64Array;

/** Evenly spaced values from `start` to `stop` inclusive, as numpy's `linspace` computes them. */
function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  // numpy pins the last value to `stop` so rounding never moves the endpoint.
  out[num - 1] = stop;
  return out;
}

/** n x n cell centres: offset 1 / (2n) from each border. */
export function buildPointGrid(nPerSide: number): PointGrid {
  if (!Number.isInteger(nPerSide) || nPerSide < 1) {
    throw new AmgOptionsError(`points per side must be a positive integer, got ${nPerSide}`);
  }
  const offset = 1 / (2 * nPerSide);
  const side = linspace(offset, 1 - offset, nPerSide);
  const out = new Float64Array(nPerSide * nPerSide * 2);
  for (let y = 0; y < nPerSide; y++) {
    for (let x = 0; x < nPerSide; x++) {
      const i = (y * nPerSide + x) * 2;
      out[i] = side[x]!;
      out[i + 1] = side[y]!;
    }
  }
  return out;
}

/** Points per side of crop layer i: `int(n / scale ** i)`, truncated as Python's `int()` does. */
export function pointsPerSideForLayer(nPerSide: number, layer: number, scalePerLayer: number): number {
  return Math.trunc(nPerSide / scalePerLayer ** layer);
}

/** One grid per crop layer (0 = the full image), each layer's grid downscaled by `scalePerLayer ** i`. */
export function buildAllLayerPointGrids(nPerSide: number, nLayers: number, scalePerLayer: number): PointGrid[] {
  const grids: PointGrid[] = [];
  for (let i = 0; i <= nLayers; i++) {
    const n = pointsPerSideForLayer(nPerSide, i, scalePerLayer);
    if (n < 1) {
      throw new AmgOptionsError(
        `crop layer ${i} would get ${nPerSide} / ${scalePerLayer}^${i} < 1 points per side; ` +
          `raise pointsPerSide or lower cropNLayers / cropNPointsDownscaleFactor`,
      );
    }
    grids.push(buildPointGrid(n));
  }
  return grids;
}
