import { describe, expect, it } from "vitest";
import { buildPromptTensors, PromptError, selectTokens } from "../../src/predictor/index.ts";

const orig = { height: 480, width: 640 }; // resizes to 768x1024 at S=1024: scale 1.6 on both axes
const low: [number, number] = [256, 256];

describe("buildPromptTensors", () => {
  it("maps points to the resized frame and appends the padding point with label -1", () => {
    const p = buildPromptTensors({ points: [[100, 50], [639, 479]], labels: [1, 0] }, orig, 1024, low);
    expect(p.numPoints).toBe(3);
    expect(Array.from(p.coords)).toEqual([160, 80, Math.fround(639 * 1.6), Math.fround(479 * 1.6), 0, 0]);
    expect(Array.from(p.labels)).toEqual([1, 0, -1]);
    expect(Array.from(p.hasMaskInput)).toEqual([0]);
    expect(p.maskInput.length).toBe(256 * 256);
    expect(p.maskInput.every((v) => v === 0)).toBe(true);
    expect(Array.from(p.origImSize)).toEqual([480, 640]);
  });

  it("uses separate x and y scales when rounding makes them differ", () => {
    // 333x1000 -> 341x1024: x scale 1.024, y scale 341/333.
    const p = buildPromptTensors({ points: [[10, 10]], labels: [1] }, { height: 333, width: 1000 }, 1024, low);
    expect(p.coords[0]).toBe(Math.fround(10 * (1024 / 1000)));
    expect(p.coords[1]).toBe(Math.fround(10 * (341 / 333)));
  });

  it("appends a box as two corners labelled 2 and 3, after the points, with no padding point", () => {
    const p = buildPromptTensors({ points: [[10, 20]], labels: [1], box: [5, 6, 100, 200] }, orig, 1024, low);
    expect(Array.from(p.labels)).toEqual([1, 2, 3]);
    expect(Array.from(p.coords)).toEqual([16, 32, 8, Math.fround(9.6), 160, 320]);
    const boxOnly = buildPromptTensors({ box: [0, 0, 10, 10] }, orig, 1024, low);
    expect(Array.from(boxOnly.labels)).toEqual([2, 3]);
  });

  it("passes a previous low-res mask with has_mask_input = 1", () => {
    const m = new Float32Array(256 * 256).fill(-3);
    const p = buildPromptTensors({ points: [[1, 1]], labels: [1], maskInput: m }, orig, 1024, low);
    expect(Array.from(p.hasMaskInput)).toEqual([1]);
    expect(p.maskInput[123]).toBe(-3);
    const maskOnly = buildPromptTensors({ maskInput: m }, orig, 1024, low);
    expect(Array.from(maskOnly.labels)).toEqual([-1]);
  });

  it("allows points outside the image (as the reference does)", () => {
    const p = buildPromptTensors({ points: [[-10, 1000]], labels: [1] }, orig, 1024, low);
    expect(Array.from(p.coords.subarray(0, 2))).toEqual([-16, 1600]);
  });

  it("rejects bad prompts with clear errors", () => {
    const bad = (prompt: Parameters<typeof buildPromptTensors>[0], re: RegExp) => {
      expect(() => buildPromptTensors(prompt, orig, 1024, low)).toThrow(PromptError);
      expect(() => buildPromptTensors(prompt, orig, 1024, low)).toThrow(re);
    };
    bad({}, /empty prompt/);
    bad({ points: [[1, 2]] }, /1 point\(s\) but 0 label/);
    bad({ points: [[NaN, 2]], labels: [1] }, /point 0 has a non-finite value/);
    bad({ points: [[1, Infinity]], labels: [1] }, /non-finite/);
    bad({ points: [[1, 2]], labels: [2] }, /label 0 is 2/);
    bad({ box: [10, 10, 5, 20] }, /inverted/);
    bad({ box: [0, 0, NaN, 1] }, /box has a non-finite/);
    bad({ points: [[1, 2]], labels: [1], maskInput: new Float32Array(64 * 64) }, /4096 values but the decoder takes 256x256/);
  });
});

describe("selectTokens", () => {
  it("slices like the official predictor", () => {
    expect(selectTokens(4, true)).toEqual([1, 2, 3]);
    expect(selectTokens(4, false)).toEqual([0]);
    expect(selectTokens(1, true)).toEqual([0]);
    expect(selectTokens(1, false)).toEqual([0]);
  });
});
