/**
 * Mask -> polygons by tracing pixel edges ("crack" boundaries), keeping holes and separate parts.
 *
 * Coordinates are pixel CORNERS: pixel (x, y) is the square [x, x + 1] x [y, y + 1], so a traced ring
 * lies exactly on the mask outline and filling it back (even-odd rule, pixel centres) is lossless.
 *
 * Every boundary edge is walked with the foreground on the walker's right (y pointing down), so outer
 * rings run clockwise on screen (positive shoelace area) and hole rings counter-clockwise (negative).
 * Where two foreground pixels touch only at a corner, the walk turns so they stay in one ring: the
 * foreground is 8-connected (as SAM's region clean-up) and holes are 4-connected background.
 */
import { connectedComponents } from "./components.ts";
import { simplifyRing } from "./simplify.ts";
import type { BinaryMask } from "./types.ts";
import { assertMask } from "./validate.ts";

/** A closed ring as a flat `[x0, y0, x1, y1, ...]`; the last point joins back to the first. */
export type Ring = number[];

/** One connected part: its outer ring and the rings of its holes. */
export interface Polygon {
  outer: Ring;
  holes: Ring[];
}

export interface MaskToPolygonsOptions {
  /** Douglas-Peucker tolerance in pixels; 0 (default) keeps the exact outline (corner points only). */
  tolerance?: number;
}

// Headings: 0 right, 1 down, 2 left, 3 up. FR/FL: the pixel ahead-right / ahead-left of a vertex.
const DX = [1, 0, -1, 0];
const DY = [0, 1, 0, -1];
const FRX = [0, -1, -1, 0];
const FRY = [0, 0, -1, -1];
const FLX = [0, 0, -1, -1];
const FLY = [-1, 0, 0, -1];

/** Twice the signed shoelace area; positive for outer rings (clockwise on screen, y down). */
export function ringArea2(ring: Ring): number {
  const n = ring.length / 2;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    s += ring[2 * i]! * ring[2 * j + 1]! - ring[2 * j]! * ring[2 * i + 1]!;
  }
  return s;
}

interface TracedRing {
  ring: Ring;
  /** Row-major index of a foreground pixel on the ring (to find its component). */
  pixel: number;
}

function trace(mask: BinaryMask): TracedRing[] {
  const { height: h, width: w, data } = mask;
  const pix = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && data[y * w + x] !== 0;
  // Rightward edges are top edges of foreground pixels; every ring has at least one.
  const visited = new Uint8Array(h * w);
  const rings: TracedRing[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (data[i] === 0 || visited[i] || (y > 0 && data[i - w] !== 0)) continue;
      const ring: Ring = [];
      let vx = x;
      let vy = y;
      let d = 0;
      do {
        if (d === 0) visited[vy * w + vx] = 1;
        vx += DX[d]!;
        vy += DY[d]!;
        const nd = pix(vx + FLX[d]!, vy + FLY[d]!) ? (d + 3) & 3 : pix(vx + FRX[d]!, vy + FRY[d]!) ? d : (d + 1) & 3;
        if (nd !== d) ring.push(vx, vy);
        d = nd;
      } while (vx !== x || vy !== y || d !== 0);
      rings.push({ ring, pixel: i });
    }
  }
  return rings;
}

/** All rings (outer and hole), exact or simplified; orientation tells them apart (see `ringArea2`). */
export function maskToRings(mask: BinaryMask, options: MaskToPolygonsOptions = {}): Ring[] {
  assertMask(mask);
  const tol = options.tolerance ?? 0;
  return trace(mask).map((t) => (tol > 0 ? simplifyRing(t.ring, tol) : t.ring));
}

/**
 * One polygon per 8-connected foreground part, in raster order of the part's first pixel, each with its
 * holes (4-connected background regions enclosed by it).
 */
export function maskToPolygons(mask: BinaryMask, options: MaskToPolygonsOptions = {}): Polygon[] {
  assertMask(mask);
  const tol = options.tolerance ?? 0;
  const traced = trace(mask);
  if (traced.length === 0) return [];
  const { labels, count } = connectedComponents(mask, 8);
  const polys: (Polygon | undefined)[] = new Array(count);
  const holesOf: Ring[][] = Array.from({ length: count }, () => []);
  for (const t of traced) {
    const label = labels[t.pixel]!;
    const ring = tol > 0 ? simplifyRing(t.ring, tol) : t.ring;
    if (ringArea2(t.ring) > 0) polys[label] = { outer: ring, holes: holesOf[label]! };
    else holesOf[label]!.push(ring);
  }
  return polys.filter((p): p is Polygon => p !== undefined);
}
