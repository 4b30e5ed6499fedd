/**
 * Douglas-Peucker simplification of closed rings (flat `[x0, y0, x1, y1, ...]`, last point joined back
 * to the first).
 */
import type { Ring } from "./polygons.ts";

function segDist2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 === 0 ? 0 : ((px - ax) * dx + (py - ay) * dy) / len2;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = ax + t * dx - px;
  const ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

/** Marks the points of the open chain i..j (indices modulo n) that Douglas-Peucker keeps. */
function markChain(xs: Float64Array, ys: Float64Array, keep: Uint8Array, i: number, j: number, tol2: number): void {
  const n = xs.length;
  const stack: number[] = [i, j];
  while (stack.length) {
    const b = stack.pop()!;
    const a = stack.pop()!;
    const span = (b - a + n) % n;
    if (span < 2) continue;
    let best = -1;
    let bestD = tol2;
    for (let s = 1; s < span; s++) {
      const k = (a + s) % n;
      const d = segDist2(xs[k]!, ys[k]!, xs[a]!, ys[a]!, xs[b]!, ys[b]!);
      if (d > bestD) {
        bestD = d;
        best = k;
      }
    }
    if (best >= 0) {
      keep[best] = 1;
      stack.push(a, best, best, b);
    }
  }
}

/**
 * Simplifies a closed ring so that no dropped point is farther than `tolerance` from the kept outline.
 * `tolerance` 0 only drops points lying exactly on a straight line between neighbours. Keeps at least
 * 3 points when the ring has them (a ring never collapses to a line).
 */
export function simplifyRing(ring: Ring, tolerance: number): Ring {
  const n = ring.length / 2;
  if (n <= 3) return ring.slice();
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = ring[2 * i]!;
    ys[i] = ring[2 * i + 1]!;
  }
  // Anchor at point 0 and the point farthest from it, then simplify both halves.
  let far = 1;
  let farD = -1;
  for (let i = 1; i < n; i++) {
    const d = (xs[i]! - xs[0]!) ** 2 + (ys[i]! - ys[0]!) ** 2;
    if (d > farD) {
      farD = d;
      far = i;
    }
  }
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[far] = 1;
  const tol2 = tolerance > 0 ? tolerance * tolerance : 0;
  markChain(xs, ys, keep, 0, far, tol2);
  markChain(xs, ys, keep, far, 0, tol2);

  let kept = 0;
  for (let i = 0; i < n; i++) kept += keep[i]!;
  if (kept < 3) {
    // Two anchors only: add the point farthest from their chord so the ring keeps an area.
    let best = -1;
    let bestD = -1;
    for (let i = 0; i < n; i++) {
      if (keep[i]) continue;
      const d = segDist2(xs[i]!, ys[i]!, xs[0]!, ys[0]!, xs[far]!, ys[far]!);
      if (d > bestD) {
        bestD = d;
        best = i;
      }
    }
    keep[best] = 1;
  }
  const out: Ring = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(xs[i]!, ys[i]!);
  return out;
}
