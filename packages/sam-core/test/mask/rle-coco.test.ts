import { describe, expect, it } from "vitest";
import { RleFormatError } from "../../src/mask/errors.ts";
import { compressRle, decodeRleCounts, decompressRle, encodeRleCounts } from "../../src/mask/rle-coco.ts";
import { refDecode, refEncode } from "./coco-reference.ts";
import { rng } from "./helpers.ts";

describe("COCO counts string: hand-computed vectors", () => {
  // Each expectation below was worked out by hand from the format definition (see comments).
  const cases: [string, number[], string][] = [
    ["1x1 empty: one run of 1 zero", [1], "1"],
    ["1x1 full: empty zero run, then 1 one", [0, 1], "01"],
    ["0x0 mask: pycocotools writes a single 0", [0], "0"],
    ["2x2 full", [0, 4], "04"],
    // 3x5 (h=3, w=5), one pixel at each corner: column-major positions 0, 2, 12, 14.
    // Runs 0,1,1,1,9,1,1,1; deltas from i=3: 1-1=0, 9-1=8, 1-1=0, 1-9=-8 -> -8 is group 24 with sign -> 'H'.
    ["3x5 four corners", [0, 1, 1, 1, 9, 1, 1, 1], "011080H0"],
    ["3x5 top-left pixel", [0, 1, 14], "01>"],
    ["3x5 top-right pixel (x=4,y=0 -> p=12)", [12, 1, 2], "<12"],
    ["3x5 bottom-left pixel (x=0,y=2 -> p=2)", [2, 1, 12], "21<"],
    ["3x5 bottom-right pixel (p=14)", [14, 1], ">1"],
    // 7x1 column 0111001: runs 1,3,2,1; i=3: 1-3=-2 -> group 30 with sign -> 'N'.
    ["7x1 column", [1, 3, 2, 1], "132N"],
    // 16 needs two groups: 16 has bit 0x10 set but is positive, so a 0 group must follow: '`' then '0'.
    ["1x17 last pixel", [16, 1], "`01"],
    // 3375000 = 3*32^4 + 6*32^3 + 31*32^2 + 28*32 + 24 -> groups 24,28,31,6,3 -> h l o V 3.
    ["1500x2250 empty", [3375000], "hloV3"],
    // 100 = 3*32 + 4 -> 'T','3'; delta 1-100 = -99 -> groups 29 (more), 28 (sign) -> 'm','L'.
    ["negative multi-group delta", [0, 100, 1, 1], "0T31mL"],
    // delta 4-5 = -1 is the single group 31 with its sign bit -> 'O'.
    ["delta -1", [0, 5, 1, 4], "051O"],
  ];
  for (const [name, counts, str] of cases) {
    it(`${name}: encodes to ${str}`, () => {
      expect(encodeRleCounts(counts)).toBe(str);
      expect(refEncode(counts)).toBe(str); // keeps the reference honest too
    });
    it(`${name}: decodes back`, () => {
      expect(Array.from(decodeRleCounts(str))).toEqual(counts);
    });
  }
});

describe("COCO counts string: against the naive reference", () => {
  it("matches on random count lists with large values and negative deltas", () => {
    const r = rng(7);
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(r() * 40);
      const counts: number[] = [];
      for (let i = 0; i < n; i++) {
        const scale = [1, 40, 3000, 1e6, 4e9][Math.floor(r() * 5)]!;
        counts.push(Math.floor(r() * scale));
      }
      const s = encodeRleCounts(counts);
      expect(s).toBe(refEncode(counts));
      expect(Array.from(decodeRleCounts(s))).toEqual(counts);
      expect(refDecode(s)).toEqual(counts);
    }
  });

  it("round-trips the largest uint32 count and its deltas", () => {
    const counts = [0, 0xffffffff, 0, 0, 0xffffffff, 0xffffffff];
    const s = encodeRleCounts(counts);
    expect(s).toBe(refEncode(counts));
    expect(Array.from(decodeRleCounts(s))).toEqual(counts);
  });
});

describe("COCO counts string: malformed input", () => {
  const bad: [string, string, number | undefined, RegExp][] = [
    ["space", "01 2", undefined, /invalid character " " at position 2/],
    ["'p' just past the alphabet", "0p", undefined, /invalid character "p"/],
    ["'/' just before it", "/", undefined, /invalid character/],
    ["non-ASCII", "0é", undefined, /invalid character/],
    ["ends with a continuation group", "0P", undefined, /ends inside a value/],
    ["too many groups", "0oooooooo1", undefined, /too long/],
    ["delta makes a count negative", "051H", undefined, /outside \[0, 2\^32\)/],
    ["sum too small", "12", 4, /sum to 3 but the mask has 4 pixels/],
    ["sum too large", "13", 3, /exceed the mask's 3 pixels/],
    ["empty string for a non-empty mask", "", 1, /sum to 0/],
  ];
  for (const [name, s, total, msg] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => decodeRleCounts(s, total)).toThrow(RleFormatError);
      expect(() => decodeRleCounts(s, total)).toThrow(msg);
    });
  }

  it("decompressRle checks the counts against the declared size", () => {
    expect(() => decompressRle({ size: [2, 2], counts: "3" })).toThrow(RleFormatError);
    expect(() => decompressRle({ size: [2, -1] as [number, number], counts: "0" })).toThrow(/size/);
    expect(Array.from(decompressRle({ size: [2, 2], counts: "13" }).counts)).toEqual([1, 3]);
  });

  it("compressRle rejects counts that do not cover the mask", () => {
    expect(() => compressRle({ size: [2, 2], counts: [1, 2] })).toThrow(/sum to 3/);
    expect(() => compressRle({ size: [2, 2], counts: [1, -1, 4] })).toThrow(/non-negative/);
    expect(compressRle({ size: [2, 2], counts: [1, 3] })).toEqual({ size: [2, 2], counts: "13" });
  });
});
