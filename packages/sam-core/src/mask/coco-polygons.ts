/**
 * Polygons -> COCO polygon segmentation (`[[x0, y0, x1, y1, ...], ...]`).
 *
 * COCO readers rasterise each listed polygon on its own and take the UNION (pycocotools `frPyObjects`
 * + `merge`), so a hole ring listed separately would be filled, not cut out. Each hole is therefore
 * joined to its outer ring by a zero-width "keyhole" cut: from the hole's top-most vertex straight up to
 * the nearest edge above, around the hole, and back along the same cut. The two sides of the cut
 * cancel under even-odd filling and, because the ray stops at the nearest edge above, an exact traced
 * ring does not cross itself, so non-zero filling keeps the hole too. Result: one COCO polygon per part.
 */
import type { Polygon, Ring } from "./polygons.ts";

function topVertex(ring: Ring): number {
  let best = 0;
  for (let i = 1; i < ring.length / 2; i++) {
    const y = ring[2 * i + 1]!;
    const by = ring[2 * best + 1]!;
    if (y < by || (y === by && ring[2 * i]! < ring[2 * best]!)) best = i;
  }
  return best;
}

/** Where to cut into `ring` for a hole vertex at (hx, hy): edge index and the point on it. */
function bridgePoint(ring: Ring, hx: number, hy: number): [number, number, number] {
  const n = ring.length / 2;
  let bestEdge = -1;
  let bestY = -Infinity;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const x1 = ring[2 * i]!;
    const y1 = ring[2 * i + 1]!;
    const x2 = ring[2 * j]!;
    const y2 = ring[2 * j + 1]!;
    if (x1 === x2 || hx < Math.min(x1, x2) || hx > Math.max(x1, x2)) continue;
    const y = y1 + ((hx - x1) * (y2 - y1)) / (x2 - x1);
    if (y <= hy && y > bestY) {
      bestY = y;
      bestEdge = i;
    }
  }
  if (bestEdge >= 0) return [bestEdge, hx, bestY];
  // Only when simplification moved the outline past the hole: fall back to the nearest vertex.
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < n; i++) {
    const d = (ring[2 * i]! - hx) ** 2 + (ring[2 * i + 1]! - hy) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return [best, ring[2 * best]!, ring[2 * best + 1]!];
}

/** The outer ring with every hole spliced in through a keyhole cut (a single closed ring). */
export function bridgeHoles(polygon: Polygon): Ring {
  let merged = polygon.outer.slice();
  // Top-most holes first: anything above a later hole's top vertex is then already part of `merged`.
  const holes = polygon.holes
    .filter((h) => h.length >= 6)
    .map((h) => ({ h, top: topVertex(h) }))
    .sort((a, b) => a.h[2 * a.top + 1]! - b.h[2 * b.top + 1]! || a.h[2 * a.top]! - b.h[2 * b.top]!);
  for (const { h, top } of holes) {
    const hx = h[2 * top]!;
    const hy = h[2 * top + 1]!;
    const [edge, bx, by] = bridgePoint(merged, hx, hy);
    const n = h.length / 2;
    const hole: number[] = [];
    for (let s = 0; s <= n; s++) {
      const k = (top + s) % n;
      hole.push(h[2 * k]!, h[2 * k + 1]!);
    }
    merged = [...merged.slice(0, 2 * edge + 2), bx, by, ...hole, bx, by, ...merged.slice(2 * edge + 2)];
  }
  return merged;
}

/** COCO `segmentation` polygon list: one flat polygon per part, holes kept through keyhole cuts. */
export function polygonsToCocoSegmentation(polygons: readonly Polygon[]): number[][] {
  return polygons.filter((p) => p.outer.length >= 6).map(bridgeHoles);
}
