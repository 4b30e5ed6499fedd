import { describe, expect, it } from "vitest";
import { bridgeHoles, polygonsToCocoSegmentation } from "../../src/mask/coco-polygons.ts";
import { MaskInputError } from "../../src/mask/errors.ts";
import { polygonsToMask } from "../../src/mask/polygon-fill.ts";
import { maskToPolygons, maskToRings, ringArea2 } from "../../src/mask/polygons.ts";
import type { Ring } from "../../src/mask/polygons.ts";
import { simplifyRing } from "../../src/mask/simplify.ts";
import type { BinaryMask } from "../../src/mask/types.ts";
import { blobMask, floodLabels, makeMask, noiseMask, rng } from "./helpers.ts";

function ascii(rows: string[]): BinaryMask {
  return makeMask(rows.length, rows[0]!.length, (x, y) => rows[y]![x] === "#");
}

/** Reference point-in-polygon (even-odd) by casting a ray to the right from the pixel centre. */
function insideEvenOdd(rings: Ring[], px: number, py: number): boolean {
  let inside = false;
  for (const r of rings) {
    const n = r.length / 2;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const [x1, y1, x2, y2] = [r[2 * i]!, r[2 * i + 1]!, r[2 * j]!, r[2 * j + 1]!];
      if (y1 > py !== y2 > py && px < x1 + ((py - y1) * (x2 - x1)) / (y2 - y1)) inside = !inside;
    }
  }
  return inside;
}

/** Reference non-zero winding number. */
function windingNumber(ring: Ring, px: number, py: number): number {
  let wn = 0;
  const n = ring.length / 2;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const [x1, y1, x2, y2] = [ring[2 * i]!, ring[2 * i + 1]!, ring[2 * j]!, ring[2 * j + 1]!];
    const cross = (x2 - x1) * (py - y1) - (px - x1) * (y2 - y1);
    if (y1 <= py && y2 > py && cross > 0) wn++;
    else if (y1 > py && y2 <= py && cross < 0) wn--;
  }
  return wn;
}

function holesCount(m: BinaryMask): number {
  // Background 4-components that do not touch the border.
  const { labels, count } = floodLabels(m, 4, false);
  const border = new Set<number>();
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      if (x === 0 || y === 0 || x === m.width - 1 || y === m.height - 1) border.add(labels[y * m.width + x]!);
    }
  }
  let n = 0;
  for (let l = 1; l < count; l++) if (!border.has(l)) n++;
  return n;
}

function randomMasks(): BinaryMask[] {
  const r = rng(21);
  const out: BinaryMask[] = [];
  for (let t = 0; t < 50; t++) {
    const h = 1 + Math.floor(r() * 40);
    const w = 1 + Math.floor(r() * 40);
    out.push(t % 3 === 0 ? noiseMask(h, w, 0.2 + r() * 0.6, t) : blobMask(h, w, t, 4 + (t % 6)));
  }
  return out;
}

describe("maskToPolygons", () => {
  it("single pixel: a clockwise unit square in pixel-corner coordinates", () => {
    const polys = maskToPolygons(ascii(["...", ".#.", "..."]));
    expect(polys).toHaveLength(1);
    const ring = polys[0]!.outer;
    expect(ring).toHaveLength(8);
    const pts = new Set<string>();
    for (let i = 0; i < 4; i++) pts.add(`${ring[2 * i]},${ring[2 * i + 1]}`);
    expect(pts).toEqual(new Set(["1,1", "2,1", "2,2", "1,2"]));
    expect(ringArea2(ring)).toBe(2);
    expect(polys[0]!.holes).toEqual([]);
  });

  it("a frame has one outer ring and one hole ring of opposite orientation", () => {
    const polys = maskToPolygons(ascii(["####", "#..#", "####"]));
    expect(polys).toHaveLength(1);
    expect(ringArea2(polys[0]!.outer)).toBe(2 * 12);
    expect(polys[0]!.holes).toHaveLength(1);
    expect(ringArea2(polys[0]!.holes[0]!)).toBe(-2 * 2);
  });

  it("diagonal pixels are one part (8-connected); a diagonal gap does not open a hole", () => {
    expect(maskToPolygons(ascii(["#.", ".#"]))).toHaveLength(1);
    const m = ascii(["###.", "#.#.", "##.#", "####"]);
    // (1,1) and (2,2) are two 4-connected background holes touching at a corner.
    const polys = maskToPolygons(m);
    expect(polys).toHaveLength(1);
    expect(holesCount(m)).toBe(2);
    expect(polys[0]!.holes).toHaveLength(2);
    expect(polygonsToMask(polys, 4, 4)).toEqual(m);
  });

  it("exact round trip on random masks with holes and several parts; ring counts match components", () => {
    for (const m of randomMasks()) {
      const polys = maskToPolygons(m);
      expect(polygonsToMask(polys, m.height, m.width)).toEqual(m);
      expect(polys.length).toBe(floodLabels(m, 8).count - 1);
      expect(polys.reduce((s, p) => s + p.holes.length, 0)).toBe(holesCount(m));
      for (const p of polys) {
        expect(ringArea2(p.outer)).toBeGreaterThan(0);
        for (const hole of p.holes) expect(ringArea2(hole)).toBeLessThan(0);
      }
      // The flat ring list fills back the same, and every vertex is a pixel corner.
      const rings = maskToRings(m);
      expect(polygonsToMask(rings, m.height, m.width)).toEqual(m);
      for (const r of rings) for (const v of r) expect(Number.isInteger(v)).toBe(true);
    }
  });

  it("filled pixels agree with a per-pixel even-odd point test", () => {
    const m = blobMask(23, 29, 4, 9);
    const rings = maskToRings(m, { tolerance: 1.5 });
    const filled = polygonsToMask(rings, 23, 29);
    for (let y = 0; y < 23; y++) {
      for (let x = 0; x < 29; x++) {
        expect(filled.data[y * 29 + x]).toBe(insideEvenOdd(rings, x + 0.5, y + 0.5) ? 1 : 0);
      }
    }
  });

  it("simplification keeps a subset of the exact vertices and stays close to the mask", () => {
    for (const m of randomMasks().slice(0, 20)) {
      const exact = maskToRings(m);
      const simple = maskToRings(m, { tolerance: 1 });
      expect(simple).toHaveLength(exact.length);
      simple.forEach((r, i) => {
        const pts = new Set<string>();
        for (let k = 0; k < exact[i]!.length; k += 2) pts.add(`${exact[i]![k]},${exact[i]![k + 1]}`);
        for (let k = 0; k < r.length; k += 2) expect(pts.has(`${r[k]},${r[k + 1]}`)).toBe(true);
        expect(r.length).toBeLessThanOrEqual(exact[i]!.length);
        expect(r.length).toBeGreaterThanOrEqual(6);
      });
    }
    const disc = makeMask(60, 60, (x, y) => (x - 30) ** 2 + (y - 30) ** 2 < 400);
    const simple = maskToPolygons(disc, { tolerance: 1 });
    const back = polygonsToMask(simple, 60, 60);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < 3600; i++) {
      inter += disc.data[i]! & back.data[i]!;
      union += disc.data[i]! | back.data[i]!;
    }
    expect(inter / union).toBeGreaterThan(0.97);
    expect(simple[0]!.outer.length).toBeLessThan(maskToPolygons(disc)[0]!.outer.length / 2);
  });

  it("empty mask gives no polygons; full mask one rectangle", () => {
    expect(maskToPolygons(makeMask(3, 4, () => false))).toEqual([]);
    const full = maskToPolygons(makeMask(3, 4, () => true));
    expect(full).toHaveLength(1);
    expect(full[0]!.outer).toHaveLength(8);
  });
});

describe("simplifyRing", () => {
  it("drops collinear points at tolerance 0 and keeps at least a triangle", () => {
    expect(simplifyRing([0, 0, 1, 0, 2, 0, 2, 2, 0, 2], 0)).toEqual([0, 0, 2, 0, 2, 2, 0, 2]);
    expect(simplifyRing([0, 0, 10, 0, 10, 1, 0, 1], 100)).toHaveLength(6);
  });
});

describe("polygonsToMask", () => {
  it("fills a hand-made triangle by pixel centres", () => {
    // Right triangle (0,0)-(4,0)-(0,4): centre (x+.5, y+.5) inside when x + y + 1 < 4.
    const m = polygonsToMask([[0, 0, 4, 0, 0, 4]], 4, 4);
    expect(m).toEqual(makeMask(4, 4, (x, y) => x + y + 1 < 4));
  });

  it("clips to the mask and rejects malformed rings", () => {
    const m = polygonsToMask([[-5, -5, 10, -5, 10, 1, -5, 1]], 3, 3);
    expect(m).toEqual(makeMask(3, 3, (_x, y) => y === 0));
    expect(() => polygonsToMask([[0, 0, 1]], 2, 2)).toThrow(MaskInputError);
    expect(() => polygonsToMask([[0, 0, 1, Number.NaN, 2, 2]], 2, 2)).toThrow(/non-finite/);
    expect(() => polygonsToMask([], -1, 2)).toThrow(/non-negative/);
  });
});

describe("COCO polygon export", () => {
  it("one polygon per part; filling each alone and taking the union (as COCO readers do) restores holes", () => {
    for (const m of randomMasks()) {
      const polys = maskToPolygons(m);
      const coco = polygonsToCocoSegmentation(polys);
      expect(coco).toHaveLength(polys.length);
      const union = new Uint8Array(m.data.length);
      for (const p of coco) {
        polygonsToMask([p], m.height, m.width).data.forEach((v, i) => (union[i]! |= v));
      }
      expect(union).toEqual(m.data);
    }
  });

  it("the keyhole ring also keeps the hole under the non-zero winding rule", () => {
    const m = ascii(["#######", "#..#..#", "#..#..#", "#######", "#.#####", "#######"]);
    const [poly] = maskToPolygons(m);
    expect(poly!.holes).toHaveLength(3);
    const ring = bridgeHoles(poly!);
    for (let y = 0; y < m.height; y++) {
      for (let x = 0; x < m.width; x++) {
        expect(windingNumber(ring, x + 0.5, y + 0.5) !== 0 ? 1 : 0).toBe(m.data[y * m.width + x]);
      }
    }
  });
});
