import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { decodeImage, decodeImageResized, ImageError, readImageHeader, resizeLongestSide } from "../../src/node.ts";

const dir = mkdtempSync(join(tmpdir(), "sam-decode-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 3x2 image with distinct colours per pixel, so orientation mistakes are visible. */
const PIXELS = [
  [255, 0, 0], [0, 255, 0], [0, 0, 255],
  [255, 255, 0], [0, 255, 255], [255, 0, 255],
];
function rawImage(): Buffer {
  return Buffer.from(PIXELS.flat());
}

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
  return Buffer.concat([len, Buffer.from(type), data, crc]);
}

/** A PNG written by hand (signature, IHDR, one IDAT, IEND); `rows` are the unfiltered scanline bytes. */
function png(width: number, height: number, bitDepth: 8 | 16, rows: Uint8Array | null): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([bitDepth, 2, 0, 0, 0], 8); // RGB, deflate, no filter, no interlace
  const idat = deflateSync(rows ?? new Uint8Array(100));
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))]);
}

describe("decodeImage", () => {
  it("decodes PNG to RGB", async () => {
    const png = await sharp(rawImage(), { raw: { width: 3, height: 2, channels: 3 } }).png().toBuffer();
    const img = await decodeImage(png);
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.data)).toEqual(PIXELS.flat());
  });

  it("applies EXIF orientation (6 = rotate 90 clockwise)", async () => {
    const png = await sharp(rawImage(), { raw: { width: 3, height: 2, channels: 3 } }).png().withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(png);
    expect([img.width, img.height]).toEqual([2, 3]);
    expect(await readImageHeader(png)).toMatchObject({ width: 2, height: 3 });
    // Rotating clockwise: the new first row is the old first column read bottom-up.
    expect(Array.from(img.data.subarray(0, 6))).toEqual([...PIXELS[3]!, ...PIXELS[0]!]);
  });

  it("turns greyscale and alpha into plain RGB (alpha dropped, not blended)", async () => {
    const grey = await sharp(Buffer.from([0, 128, 255, 7]), { raw: { width: 2, height: 2, channels: 1 } }).png().toBuffer();
    expect(Array.from((await decodeImage(grey)).data)).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255, 7, 7, 7]);
    const rgba = await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 128]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    expect(Array.from((await decodeImage(rgba)).data)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it("reduces 16-bit images to 8 bits", async () => {
    // One row, two pixels, 16-bit big-endian samples: (0, 65535, 25700), (51400, 0, 0x12ff).
    const samples = [0, 65535, 25700, 51400, 0, 0x12ff];
    const row = new Uint8Array(1 + 12);
    samples.forEach((v, i) => ((row[1 + 2 * i] = v >> 8), (row[2 + 2 * i] = v & 255)));
    const png16 = png(2, 1, 16, row);
    expect((await sharp(png16).metadata()).depth).toBe("ushort");
    const img = await decodeImage(png16);
    // Scaled to 8 bits by keeping the high byte (libvips), not clipped at 255 as PIL's convert would.
    expect(Array.from(img.data)).toEqual(samples.map((v) => v >> 8));
  });

  it("decodes a 1x1 image", async () => {
    const png = await sharp(Buffer.from([1, 2, 3]), { raw: { width: 1, height: 1, channels: 3 } }).png().toBuffer();
    const img = await decodeImage(png);
    expect(Array.from(img.data)).toEqual([1, 2, 3]);
    expect(resizeLongestSide(img, 16).data.every((v, i) => v === [1, 2, 3][i % 3])).toBe(true);
  });

  it("rejects garbage, truncated files and decompression bombs clearly", async () => {
    await expect(decodeImage(new TextEncoder().encode("not an image"))).rejects.toThrow(ImageError);
    await expect(decodeImage(new TextEncoder().encode("not an image"))).rejects.toThrow(/cannot read image/);
    const jpg = readFileSync("/work/shared/samples/dog.jpg");
    await expect(decodeImage(jpg.subarray(0, jpg.length / 3))).rejects.toThrow(/truncated or corrupt/);
    await expect(decodeImage(jpg, { maxPixels: 1000 })).rejects.toThrow(/800x534 \(427200 pixels\), above the limit of 1000 pixels/);
    // A PNG that claims 20000x20000 is refused from its header, before any pixel is decoded.
    const bomb = png(20000, 20000, 8, null); // header claims 1.2 GB of pixels; the data is 100 bytes
    await expect(decodeImage(bomb)).rejects.toThrow(/20000x20000 \(400000000 pixels\), above the limit of 100000000/);
  });

  it("decodes a large image straight to the encoder size on the fast path", async () => {
    const big = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: { r: 9, g: 200, b: 9 } } }).jpeg().toBuffer();
    const small = await decodeImageResized(big, 1024);
    expect([small.image.width, small.image.height]).toEqual([1024, 768]);
    expect(small.originalSize).toEqual({ height: 3000, width: 4000 });
    expect(Math.abs(small.image.data[1]! - 200)).toBeLessThan(3);
    await expect(decodeImageResized(big, 1024, { maxPixels: 1e6 })).rejects.toThrow(/above the limit/);
  }, 60_000);
});

describe.skipIf(spawnSync("/usr/bin/python3", ["-c", "import PIL, numpy"]).status !== 0)("decode + resize vs Pillow", () => {
  it("chelsea.png decoded with sharp and resized to 1024 equals PIL's open().convert('RGB').resize()", async () => {
    const path = "/work/shared/samples/chelsea.png";
    const ours = resizeLongestSide(await decodeImage(readFileSync(path)), 1024);
    const out = join(dir, "chelsea.raw");
    const r = spawnSync("/usr/bin/python3", [
      "-c",
      `import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
s = 1024 / max(im.size)
w, h = int(im.size[0] * s + 0.5), int(im.size[1] * s + 0.5)
open(sys.argv[2], "wb").write(im.resize((w, h), Image.BILINEAR).tobytes())
print(w, h)`,
      path,
      out,
    ], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`${ours.width} ${ours.height}`);
    expect(Buffer.compare(readFileSync(out), Buffer.from(ours.data))).toBe(0);
  });
});
