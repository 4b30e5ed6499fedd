import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { decodeFloat16, encodeFloat16, floatToHalfBits, halfBitsToFloat } from "../../src/embedding/index.ts";

describe("float16", () => {
  it("round-trips every one of the 65536 half bit patterns (NaNs stay NaN)", () => {
    let bad = 0;
    for (let h = 0; h < 65536; h++) {
      const f = halfBitsToFloat(h);
      const back = floatToHalfBits(f);
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN ? !Number.isNaN(f) || (back & 0x7c00) !== 0x7c00 || (back & 0x3ff) === 0 : back !== h) bad++;
    }
    expect(bad).toBe(0);
  });

  it("decodes known bit patterns", () => {
    // Values from the IEEE 754 binary16 definition.
    expect(halfBitsToFloat(0x3c00)).toBe(1);
    expect(halfBitsToFloat(0xc000)).toBe(-2);
    expect(halfBitsToFloat(0x7bff)).toBe(65504);
    expect(halfBitsToFloat(0x0400)).toBe(2 ** -14);
    expect(halfBitsToFloat(0x0001)).toBe(2 ** -24);
    expect(halfBitsToFloat(0x3555)).toBeCloseTo(0.33325195, 8);
    expect(halfBitsToFloat(0x7c00)).toBe(Infinity);
    expect(halfBitsToFloat(0xfc00)).toBe(-Infinity);
    expect(Object.is(halfBitsToFloat(0x8000), -0)).toBe(true);
  });

  it("rounds to nearest, ties to even", () => {
    const ulp1 = 2 ** -10; // spacing of halves in [1, 2)
    expect(floatToHalfBits(1 + ulp1 / 2)).toBe(0x3c00); // tie -> even (mantissa 0)
    expect(floatToHalfBits(1 + 1.5 * ulp1)).toBe(0x3c02); // tie -> even (mantissa 2)
    expect(floatToHalfBits(1 + ulp1 / 2 + 2 ** -20)).toBe(0x3c01); // just above the tie
    expect(floatToHalfBits(65504 + 16)).toBe(0x7c00); // tie between max and 2^16 -> even = Inf
    expect(floatToHalfBits(65504 + 15)).toBe(0x7bff);
    expect(floatToHalfBits(2 ** -25)).toBe(0x0000); // exactly half the smallest subnormal: tie -> 0
    expect(floatToHalfBits(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(floatToHalfBits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 subnormal units -> 2
    expect(floatToHalfBits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the smallest normal
    expect(floatToHalfBits(1e-30)).toBe(0);
    expect(floatToHalfBits(-1e-30)).toBe(0x8000);
    expect(floatToHalfBits(1e9)).toBe(0x7c00);
    expect(floatToHalfBits(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(halfBitsToFloat(floatToHalfBits(NaN)))).toBe(true);
  });

  it("picks the nearest half for random floats (checked against neighbours)", () => {
    let s = 12345;
    for (let i = 0; i < 20000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const v = Math.fround(((s / 2 ** 32) * 2 - 1) * 2 ** ((s % 40) - 24));
      const h = floatToHalfBits(v);
      const err = Math.abs(halfBitsToFloat(h) - v);
      for (const n of [h - 1, h + 1]) {
        if ((n & 0x7fff) > 0x7bff || n < 0 || (n & 0x8000) !== (h & 0x8000)) continue;
        expect(err).toBeLessThanOrEqual(Math.abs(halfBitsToFloat(n) - v));
      }
    }
  });

  it("bulk encode/decode agree with the scalar functions", () => {
    const values = Float32Array.from([0, -0, 1, -1.5, 0.1, 65504, 70000, 1e-6, -3.14159]);
    const bits = encodeFloat16(values);
    expect(Array.from(bits)).toEqual(Array.from(values, (v) => floatToHalfBits(v)));
    expect(Array.from(decodeFloat16(bits))).toEqual(Array.from(bits, (b) => Math.fround(halfBitsToFloat(b))));
  });
});

describe("float16 vs numpy", () => {
  const probe = spawnSync("/usr/bin/python3", ["-c", "import numpy"]);
  it.skipIf(probe.status !== 0)("matches numpy's float32 -> float16 conversion bit for bit", () => {
    // Every float32 whose top 16 bits sweep all values, with a few low-bit patterns: covers ties,
    // subnormals, overflow and the rounding carries.
    const values = new Uint32Array(65536 * 4);
    const lows = [0x0000, 0x1000, 0x1001, 0x0fff];
    for (let hi = 0; hi < 65536; hi++) for (let j = 0; j < 4; j++) values[hi * 4 + j] = (hi << 16) | lows[j]!;
    const script = `
import sys, numpy as np
x = np.frombuffer(sys.stdin.buffer.read(), dtype="<u4").view(np.float32)
with np.errstate(all="ignore"):
    sys.stdout.buffer.write(x.astype(np.float16).view("<u2").tobytes())
`;
    const res = spawnSync("/usr/bin/python3", ["-c", script], { input: new Uint8Array(values.buffer), maxBuffer: 1 << 24 });
    expect(res.status).toBe(0);
    const ref = new Uint16Array(new Uint8Array(res.stdout).buffer);
    const f = new Float32Array(values.buffer);
    let bad = 0;
    for (let i = 0; i < f.length; i++) {
      const ours = floatToHalfBits(f[i]!);
      const theirs = ref[i]!;
      const bothNaN = (ours & 0x7fff) > 0x7c00 && (theirs & 0x7fff) > 0x7c00;
      if (ours !== theirs && !bothNaN) bad++;
    }
    expect(bad).toBe(0);
  });
});
