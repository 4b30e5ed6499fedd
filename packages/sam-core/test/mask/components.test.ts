import { describe, expect, it } from "vitest";
import { connectedComponents } from "../../src/mask/components.ts";
import type { Connectivity } from "../../src/mask/components.ts";
import { MaskInputError } from "../../src/mask/errors.ts";
import type { BinaryMask } from "../../src/mask/types.ts";
import { blobMask, floodLabels, makeMask, noiseMask, rng } from "./helpers.ts";

function check(m: BinaryMask, conn: Connectivity): void {
  const cc = connectedComponents(m, conn);
  const ref = floodLabels(m, conn);
  expect(cc.count).toBe(ref.count);
  expect(cc.labels).toEqual(ref.labels);
  for (let l = 0; l < cc.count; l++) {
    let area = 0;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -1;
    let y1 = -1;
    for (let i = 0; i < ref.labels.length; i++) {
      if (ref.labels[i] !== l) continue;
      const x = i % m.width;
      const y = (i - x) / m.width;
      area++;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
    expect(cc.area[l]).toBe(area);
    if (area > 0) {
      expect([cc.left[l], cc.top[l], cc.width[l], cc.height[l]]).toEqual([x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
    }
  }
}

describe("connectedComponents", () => {
  it("diagonal neighbours join under 8- but not 4-connectivity", () => {
    const m = makeMask(3, 3, (x, y) => x === y);
    expect(connectedComponents(m, 8).count).toBe(2);
    expect(connectedComponents(m, 4).count).toBe(4);
    const anti = makeMask(3, 3, (x, y) => x + y === 2);
    expect(connectedComponents(anti, 8).count).toBe(2);
    expect(connectedComponents(anti, 4).count).toBe(4);
  });

  it("a U shape merges two runs of the top row into one label", () => {
    const m = makeMask(3, 5, (x, y) => x === 0 || x === 4 || y === 2);
    const cc = connectedComponents(m, 4);
    expect(cc.count).toBe(2);
    expect(cc.area[1]).toBe(9);
    expect(cc.area[0]).toBe(6);
    expect([cc.left[0], cc.top[0], cc.width[0], cc.height[0]]).toEqual([1, 0, 3, 2]);
  });

  it("matches a flood fill on random masks (labels, areas, boxes), both connectivities", () => {
    const r = rng(11);
    for (let t = 0; t < 40; t++) {
      const h = 1 + Math.floor(r() * 40);
      const w = 1 + Math.floor(r() * 40);
      const m = t % 2 ? noiseMask(h, w, 0.2 + r() * 0.6, t) : blobMask(h, w, t, 8);
      check(m, 8);
      check(m, 4);
    }
  });

  it("empty and full masks", () => {
    const empty = connectedComponents(makeMask(4, 5, () => false));
    expect(empty.count).toBe(1);
    expect(empty.area[0]).toBe(20);
    expect([empty.left[0], empty.top[0], empty.width[0], empty.height[0]]).toEqual([0, 0, 5, 4]);
    const full = connectedComponents(makeMask(4, 5, () => true));
    expect(full.count).toBe(2);
    expect(full.area[0]).toBe(0);
    expect(full.area[1]).toBe(20);
  });

  it("rejects a bad connectivity", () => {
    expect(() => connectedComponents(makeMask(2, 2, () => true), 6 as Connectivity)).toThrow(MaskInputError);
  });
});
