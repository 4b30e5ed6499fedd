import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { normalizeAndPad, resizeBilinearPil, resizeLongestSide, resizedSize } from "../../src/image/index.ts";
import type { RgbImage } from "../../src/image/index.ts";

// Reference vectors come from Debian's Pillow/numpy (system python, not a pyenv one).
const PYTHON = "/usr/bin/python3";
const probe = spawnSync(PYTHON, ["-c", "import PIL, numpy"], { encoding: "utf8" });
const havePil = probe.status === 0;
if (!havePil) console.warn(`skipping Pillow parity tests: ${PYTHON} cannot import PIL/numpy (${(probe.stderr || String(probe.error)).trim().split("\n").pop()})`);

const dir = mkdtempSync(join(tmpdir(), "sam-pil-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
}

/** Random noise mixed with smooth gradients, so both edges and ramps are exercised. */
function testImage(width: number, height: number, seed: number): RgbImage {
  const rnd = lcg(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        const i = (y * width + x) * 3 + c;
        data[i] = (x + y) % 7 === 0 ? rnd() : (x * (c + 3) + y * (5 - c) + rnd() / 16) & 255;
      }
  return { width, height, data };
}

function pilResize(img: RgbImage, w: number, h: number): Uint8Array {
  const inPath = join(dir, `in-${img.width}x${img.height}.raw`);
  const outPath = join(dir, `out-${img.width}x${img.height}-${w}x${h}.raw`);
  writeFileSync(inPath, img.data);
  const script = `
import sys
from PIL import Image
w0, h0, w, h = map(int, sys.argv[3:7])
im = Image.frombytes("RGB", (w0, h0), open(sys.argv[1], "rb").read())
open(sys.argv[2], "wb").write(im.resize((w, h), Image.BILINEAR).tobytes())
`;
  execFileSync(PYTHON, ["-c", script, inPath, outPath, String(img.width), String(img.height), String(w), String(h)]);
  return new Uint8Array(readFileSync(outPath));
}

describe.skipIf(!havePil)("Pillow bilinear parity", () => {
  const cases: [number, number, number, number][] = [
    [640, 480, 64, 48], // plain downscale by 10
    [500, 375, 64, 48], // non-integer factor
    [37, 23, 64, 40], // upscale
    [97, 211, 29, 64], // portrait, odd sizes
    [1, 1, 64, 64], // single pixel
    [300, 5, 64, 1], // degenerate height
    [120, 80, 120, 33], // vertical only
    [120, 80, 45, 80], // horizontal only
  ];
  for (const [w0, h0, w, h] of cases) {
    it(`${w0}x${h0} -> ${w}x${h} is byte-identical`, () => {
      const img = testImage(w0, h0, w0 * 31 + h0);
      const ours = resizeBilinearPil(img, w, h);
      const ref = pilResize(img, w, h);
      expect(ours.width).toBe(w);
      expect(ours.height).toBe(h);
      expect(ref.length).toBe(ours.data.length);
      let diff = 0;
      for (let i = 0; i < ref.length; i++) if (ref[i] !== ours.data[i]) diff++;
      expect(diff).toBe(0);
    });
  }

  it("longest-side size and normalisation match torchvision/numpy float32", () => {
    const img = testImage(123, 77, 5);
    const S = 64;
    const resized = resizeLongestSide(img, S);
    const script = `
import sys, numpy as np
from PIL import Image
h0, w0, S = 77, 123, 64
scale = S * 1.0 / max(h0, w0)
nh, nw = int(h0 * scale + 0.5), int(w0 * scale + 0.5)
im = Image.frombytes("RGB", (w0, h0), open(sys.argv[1], "rb").read()).resize((nw, nh), Image.BILINEAR)
x = np.asarray(im).astype(np.float32).transpose(2, 0, 1)
mean = np.array([123.675, 116.28, 103.53], dtype=np.float32)[:, None, None]
std = np.array([58.395, 57.12, 57.375], dtype=np.float32)[:, None, None]
x = (x - mean) / std
out = np.zeros((3, S, S), dtype=np.float32)
out[:, :nh, :nw] = x
sys.stdout.write(f"{nh} {nw}\\n")
open(sys.argv[2], "wb").write(out.tobytes())
`;
    const inPath = join(dir, "norm-in.raw");
    const outPath = join(dir, "norm-out.raw");
    writeFileSync(inPath, img.data);
    const sizes = execFileSync(PYTHON, ["-c", script, inPath, outPath], { encoding: "utf8" }).trim().split(" ").map(Number);
    expect([resized.height, resized.width]).toEqual(sizes);
    const ref = new Float32Array(new Uint8Array(readFileSync(outPath)).buffer);
    const ours = normalizeAndPad(resized, S);
    expect(ours.length).toBe(ref.length);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i]! - ours[i]!));
    expect(maxDiff).toBe(0);
  });
});

describe("resizedSize", () => {
  it("follows int(side * S / max + 0.5)", () => {
    // Worked by hand: 480 * 1024/640 = 768; 375 * 1024/500 = 768.0; 333 * 1024/1000 = 340.992 -> 341.
    expect(resizedSize({ height: 480, width: 640 }, 1024)).toEqual({ height: 768, width: 1024 });
    expect(resizedSize({ height: 333, width: 1000 }, 1024)).toEqual({ height: 341, width: 1024 });
    expect(resizedSize({ height: 1, width: 1 }, 1024)).toEqual({ height: 1024, width: 1024 });
    // 3 * 1024/2048 = 1.5 -> 2 (half rounds up).
    expect(resizedSize({ height: 3, width: 2048 }, 1024)).toEqual({ height: 2, width: 1024 });
    // 1 * 1024/4096 = 0.25 -> 0: the reference would fail inside PIL; we say why.
    expect(() => resizedSize({ height: 1, width: 4096 }, 1024)).toThrow(/too elongated/);
  });
});
