import { samConfig } from "@data-engine/sam-core";
import { describe, expect, it } from "vitest";
import { maskToModelFrame } from "../src/dataset.ts";
import { evaluate, type DecodeFn } from "../src/evaluate.ts";
import { discSamples } from "./fixtures.ts";

const c = samConfig("tiny").decoder;
const L = 4 * c.embeddingSize;
const K = 4;

describe("evaluate", () => {
  const samples = discSamples(2, 3, L, c.transformerDim * c.embeddingSize ** 2);

  it("scores an oracle decoder at IoU 1 and an empty one at 0, with the calibration error of its IoU guesses", async () => {
    // The oracle finds the object whose pixel lies under the first prompt point (a click or a box corner).
    const oracle: DecodeFn = async (_e, coords, labels, batch, points) => {
      const lowRes = new Float32Array(batch * K * L * L).fill(-5);
      for (let b = 0; b < batch; b++) {
        const isBox = labels[b * points] === 2;
        const x = coords[b * points * 2]! / 4;
        const y = coords[b * points * 2 + 1]! / 4;
        const hit = samples.find((s) => {
          if (isBox) {
            const x2 = coords[(b * points + 1) * 2]! / 4;
            const y2 = coords[(b * points + 1) * 2 + 1]! / 4;
            return s.mask.data[Math.round((y + y2) / 2) * L + Math.round((x + x2) / 2)] === 1;
          }
          return s.mask.data[Math.floor(y) * L + Math.floor(x)] === 1;
        })!;
        for (let k = 0; k < K; k++)
          for (let i = 0; i < L * L; i++) if (hit.mask.data[i]) lowRes[(b * K + k) * L * L + i] = 5;
      }
      return { lowRes, iou: new Float32Array(batch * K).fill(0.75) };
    };
    const r = await evaluate(c, oracle, samples);
    expect(r.masks).toBe(6);
    expect(r.images).toBe(2);
    expect(r.mIoU1Click).toBe(1);
    expect(r.mIoUBox).toBe(1);
    expect(r.mIoUClicks).toEqual([1, 1, 1, 1, 1]);
    expect(r.iouCalibrationMae).toBeCloseTo(0.25, 6);

    const empty: DecodeFn = async (_e, _c, _l, batch) => ({
      lowRes: new Float32Array(batch * K * L * L).fill(-1),
      iou: new Float32Array(batch * K),
    });
    const z = await evaluate(c, empty, samples, { maxClicks: 2 });
    expect(z.mIoU1Click).toBe(0);
    expect(z.mIoUClicks).toEqual([0, 0]);
    expect(z.iouCalibrationMae).toBe(0);
  });

  it("maskToModelFrame resizes the longest side to the input size, pads, and reduces by area", () => {
    // 100 x 50 (h x w) image, object = right half of the top 40 rows
    const h = 100;
    const w = 50;
    const data = new Uint8Array(h * w);
    for (let y = 0; y < 40; y++) for (let x = 25; x < 50; x++) data[y * w + x] = 1;
    const full = maskToModelFrame({ height: h, width: w, data }, c, "input");
    expect(full.width).toBe(256);
    // scale 2.56: the object spans x 64..127 and y 0..102 of the 256 frame; the padding (x >= 128) is empty
    expect(full.data[50 * 256 + 100]).toBe(1);
    expect(full.data[50 * 256 + 60]).toBe(0);
    expect(full.data[50 * 256 + 130]).toBe(0);
    expect(full.data[110 * 256 + 100]).toBe(0);
    const low = maskToModelFrame({ height: h, width: w, data }, c, "low");
    expect(low.width).toBe(L);
    expect(low.data[12 * L + 25]).toBe(1);
    expect(low.data[12 * L + 35]).toBe(0);
  });
});
