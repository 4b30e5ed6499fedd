// Node-only image decoding through sharp (libvips). Imported by src/node.ts, never by the pure modules.
import sharp from "sharp";
import type { Metadata, Sharp } from "sharp";
import { ImageError } from "./errors.ts";
import { resizedSize } from "./preprocess.ts";
import type { RgbImage } from "./rgb-image.ts";

/** Default guard against decompression bombs: 100 megapixels (e.g. 10000x10000). */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (checked from the header, before decoding). */
  maxPixels?: number;
}

export interface ImageHeader {
  width: number;
  height: number;
  format: string;
}

/** Reads the size (after EXIF orientation) and format without decoding the pixels. */
export async function readImageHeader(bytes: Uint8Array): Promise<ImageHeader> {
  let meta: Metadata;
  try {
    // Header only: the pixel limit is enforced by the callers with a clearer message.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ImageError(`cannot read image: ${reason(err)}`);
  }
  if (!meta.width || !meta.height) throw new ImageError("cannot read image: no dimensions in header");
  // EXIF orientations 5-8 swap width and height once applied.
  const swap = (meta.orientation ?? 1) >= 5;
  return { width: swap ? meta.height : meta.width, height: swap ? meta.width : meta.height, format: meta.format ?? "unknown" };
}

function checkPixels(h: ImageHeader, maxPixels: number): void {
  if (h.width * h.height > maxPixels) {
    throw new ImageError(
      `image is ${h.width}x${h.height} (${h.width * h.height} pixels), above the limit of ${maxPixels} pixels (decompression bomb guard); raise maxPixels or use decodeImageResized`,
    );
  }
}

function pipeline(bytes: Uint8Array, maxPixels: number): Sharp {
  // EXIF orientation applied; alpha dropped (not blended), like PIL's convert("RGB"); greyscale, CMYK and
  // 16-bit inputs become 8-bit sRGB. 16-bit samples keep their high byte (v >> 8); PIL would clip
  // 16-bit greyscale at 255, which whitens nearly every pixel, so we deliberately differ there.
  return sharp(bytes, { limitInputPixels: Math.max(1, Math.floor(maxPixels)), failOn: "error" }).rotate().removeAlpha().toColourspace("srgb");
}

/** Decodes JPEG/PNG/WebP/TIFF/GIF/AVIF bytes to 8-bit RGB at full resolution. */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  checkPixels(await readImageHeader(bytes), maxPixels);
  try {
    const { data, info } = await pipeline(bytes, maxPixels).raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new ImageError(`decoder produced ${info.channels} channels, expected 3`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError(`cannot decode image: ${reason(err)}`);
  }
}

export interface ResizedDecode {
  /** Already resized so its longest side is the input size (sharp's resampler, not bit-exact to PIL). */
  image: RgbImage;
  originalSize: { height: number; width: number };
}

/**
 * Decodes straight to the encoder's longest-side size in libvips (shrink-on-load for JPEG), so very large
 * images never exist at full size in memory. The result is close to, but not bit-identical with, the
 * reference Pillow resize; use `decodeImage` + the TS resampler when exact parity matters.
 */
export async function decodeImageResized(
  bytes: Uint8Array,
  inputSize: number,
  options: DecodeOptions = {},
): Promise<ResizedDecode> {
  const maxPixels = options.maxPixels ?? 1_000_000_000;
  const header = await readImageHeader(bytes);
  checkPixels(header, maxPixels);
  const target = resizedSize(header, inputSize);
  try {
    const { data, info } = await pipeline(bytes, maxPixels)
      .resize({ width: target.width, height: target.height, fit: "fill", kernel: "linear" })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      image: { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) },
      originalSize: { height: header.height, width: header.width },
    };
  } catch (err) {
    throw new ImageError(`cannot decode image: ${reason(err)}`);
  }
}

function reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const first = msg.split("\n")[0]!;
  if (/pixel limit/i.test(first)) return `${first} (decompression bomb guard)`;
  if (/premature end|truncated|unexpected end/i.test(msg)) return `truncated or corrupt image data (${first})`;
  return first;
}
