/**
 * Polygons -> mask by scanline fill with the even-odd rule, sampling pixel centres: pixel (x, y) is set
 * when the point (x + 0.5, y + 0.5) is inside. All rings are filled together, so hole rings cut holes
 * whatever their orientation, and rings traced by `maskToPolygons` come back pixel-exact.
 */
import { MaskInputError } from "./errors.ts";
import type { Polygon, Ring } from "./polygons.ts";
import type { BinaryMask } from "./types.ts";

function collectRings(shapes: readonly (Polygon | Ring)[]): Ring[] {
  const rings: Ring[] = [];
  shapes.forEach((s, i) => {
    if (Array.isArray(s)) rings.push(s);
    else if (s && Array.isArray(s.outer) && Array.isArray(s.holes)) rings.push(s.outer, ...s.holes);
    else throw new MaskInputError(`shape ${i} must be a flat ring or { outer, holes }`);
  });
  rings.forEach((r, i) => {
    if (r.length % 2 !== 0) throw new MaskInputError(`ring ${i} has an odd number of coordinates (${r.length})`);
    for (const v of r) if (!Number.isFinite(v)) throw new MaskInputError(`ring ${i} has a non-finite coordinate`);
  });
  return rings;
}

/** Fills rings or polygons into a `height` x `width` mask (even-odd over everything given). */
export function polygonsToMask(shapes: readonly (Polygon | Ring)[], height: number, width: number): BinaryMask {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0) {
    throw new MaskInputError(`mask size must be non-negative integers, got ${height}x${width}`);
  }
  const rings = collectRings(shapes);
  const data = new Uint8Array(height * width);
  if (height === 0 || width === 0) return { height, width, data };

  // Rows whose centre line y + 0.5 lies in [min(y1, y2), max(y1, y2)) cross the edge: half-open, so a
  // vertex shared by two edges is counted once and horizontal edges never count.
  const firstRow = (ya: number) => Math.max(0, Math.ceil(ya - 0.5));
  const endRow = (yb: number) => Math.min(height, Math.ceil(yb - 0.5));
  const rowCount = new Int32Array(height + 1);
  for (const r of rings) {
    const n = r.length / 2;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const y1 = r[2 * i + 1]!;
      const y2 = r[2 * j + 1]!;
      if (y1 === y2) continue;
      for (let y = firstRow(Math.min(y1, y2)), e = endRow(Math.max(y1, y2)); y < e; y++) rowCount[y + 1]!++;
    }
  }
  for (let y = 0; y < height; y++) rowCount[y + 1]! += rowCount[y]!;
  const xs = new Float64Array(rowCount[height]!);
  const fill = rowCount.slice(0, height);
  for (const r of rings) {
    const n = r.length / 2;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const x1 = r[2 * i]!;
      const y1 = r[2 * i + 1]!;
      const x2 = r[2 * j]!;
      const y2 = r[2 * j + 1]!;
      if (y1 === y2) continue;
      const slope = (x2 - x1) / (y2 - y1);
      for (let y = firstRow(Math.min(y1, y2)), e = endRow(Math.max(y1, y2)); y < e; y++) {
        xs[fill[y]!++] = x1 + (y + 0.5 - y1) * slope;
      }
    }
  }

  for (let y = 0; y < height; y++) {
    const row = xs.subarray(rowCount[y]!, rowCount[y + 1]!).sort();
    const base = y * width;
    for (let k = 0; k + 1 < row.length; k += 2) {
      // Pixels whose centre x + 0.5 lies in [xa, xb).
      const x0 = Math.max(0, Math.ceil(row[k]! - 0.5));
      const x1 = Math.min(width, Math.ceil(row[k + 1]! - 0.5));
      if (x1 > x0) data.fill(1, base + x0, base + x1);
    }
  }
  return { height, width, data };
}
