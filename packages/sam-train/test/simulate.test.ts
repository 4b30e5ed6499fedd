import type { BinaryMask } from "@data-engine/sam-core";
import { describe, expect, it } from "vitest";
import { Prng } from "../src/random.ts";
import {
  centerClick,
  correctiveClick,
  maskBoxInFrame,
  noisyBox,
  sampleErrorPoint,
  samplePointInside,
} from "../src/simulate.ts";

function rect(w: number, x0: number, y0: number, x1: number, y1: number): BinaryMask {
  const data = new Uint8Array(w * w);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) data[y * w + x] = 1;
  return { width: w, height: w, data };
}

describe("prompt simulation", () => {
  const m = rect(16, 3, 5, 9, 12);

  it("points inside the object land on object pixels (frame 4x the grid)", () => {
    const r = new Prng(1);
    for (let i = 0; i < 200; i++) {
      const p = samplePointInside(m, 64, r);
      expect(p.label).toBe(1);
      expect(m.data[Math.floor(p.y / 4) * 16 + Math.floor(p.x / 4)]).toBe(1);
    }
  });

  it("error points come from the error region, labelled by the truth, roughly uniformly", () => {
    const pred = rect(16, 6, 5, 12, 12).data; // misses x 3..5, spills x 10..12
    const r = new Prng(2);
    let fg = 0;
    for (let i = 0; i < 600; i++) {
      const p = sampleErrorPoint(pred, m, 16, r)!;
      const idx = p.y * 16 + p.x;
      expect(pred[idx] !== m.data[idx]).toBe(true);
      expect(p.label).toBe(m.data[idx]);
      fg += p.label;
    }
    // 24 missed pixels vs 24 spilled ones
    expect(fg / 600).toBeGreaterThan(0.4);
    expect(fg / 600).toBeLessThan(0.6);
    expect(sampleErrorPoint(m.data, m, 16, r)).toBeNull();
  });

  it("noisy boxes stay near the tight box, within the frame and ordered", () => {
    expect(maskBoxInFrame(m, 16)).toEqual([3, 5, 9, 12]);
    const r = new Prng(3);
    let moved = 0;
    for (let i = 0; i < 100; i++) {
      const [a, b] = noisyBox(m, 1024, r);
      expect(a.label).toBe(2);
      expect(b.label).toBe(3);
      expect(a.x).toBeLessThanOrEqual(b.x);
      expect(a.y).toBeLessThanOrEqual(b.y);
      // noise is capped at 20 px in a 1024 frame
      expect(Math.abs(a.x - 3 * 64)).toBeLessThanOrEqual(20);
      expect(Math.abs(b.y - (13 * 64 - 1))).toBeLessThanOrEqual(20);
      if (a.x !== 192) moved++;
    }
    expect(moved).toBeGreaterThan(90);
  });

  it("the same seed gives the same prompts", () => {
    const draw = (seed: number) => {
      const r = Prng.derive(seed, "x");
      return [samplePointInside(m, 64, r), ...noisyBox(m, 64, r)];
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });

  it("evaluation clicks go to the deepest pixel of the object / of the error", () => {
    const c = centerClick(rect(21, 0, 0, 20, 20), 21);
    expect([c.x, c.y]).toEqual([10, 10]);
    const truth = rect(20, 0, 0, 19, 19);
    const pred = rect(20, 0, 0, 19, 9); // bottom half missed
    const k = correctiveClick(pred.data, truth, 20)!;
    expect(k.label).toBe(1);
    expect(k.y).toBeGreaterThanOrEqual(13);
    expect(k.y).toBeLessThanOrEqual(16);
  });
});
