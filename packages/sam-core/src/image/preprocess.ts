import type { RgbImage } from "./rgb-image.ts";
import { assertRgbImage } from "./rgb-image.ts";
import { resizeBilinearPil } from "./pil-resample.ts";
import { ImageError } from "./errors.ts";

export const PIXEL_MEAN = [123.675, 116.28, 103.53] as const;
export const PIXEL_STD = [58.395, 57.12, 57.375] as const;

export interface Size {
  height: number;
  width: number;
}

/**
 * Size after resizing so the longest side is `inputSize`: each side becomes `int(side * scale + 0.5)`
 * with `scale = inputSize / max(h, w)`, computed in double precision as the reference does.
 */
export function resizedSize(original: Size, inputSize: number): Size {
  const { height, width } = original;
  if (!(height >= 1 && width >= 1)) throw new ImageError(`invalid image size ${width}x${height}`);
  const scale = (inputSize * 1.0) / Math.max(height, width);
  const out = { height: Math.trunc(height * scale + 0.5), width: Math.trunc(width * scale + 0.5) };
  if (out.height < 1 || out.width < 1) {
    throw new ImageError(`image ${width}x${height} is too elongated: its short side would shrink to 0 pixels at input size ${inputSize}`);
  }
  return out;
}

/** Resizes so the longest side is `inputSize`, with the reference (Pillow bilinear) resampler. */
export function resizeLongestSide(image: RgbImage, inputSize: number): RgbImage {
  const { height, width } = resizedSize(image, inputSize);
  return resizeBilinearPil(image, width, height);
}

/**
 * Normalises a resized RGB image with SAM's pixel mean/std and zero-pads bottom/right to SxS,
 * producing `[1, 3, S, S]` CHW float32 (the "normalized" encoder input form).
 */
export function normalizeAndPad(resized: RgbImage, inputSize: number): Float32Array {
  assertRgbImage(resized, "resized image");
  const { width, height, data } = resized;
  if (width > inputSize || height > inputSize) {
    throw new ImageError(`resized image ${width}x${height} is larger than the encoder input ${inputSize}x${inputSize}`);
  }
  const plane = inputSize * inputSize;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(PIXEL_MEAN[c]);
    const std = Math.fround(PIXEL_STD[c]);
    const base = c * plane;
    for (let y = 0; y < height; y++) {
      let p = y * width * 3 + c;
      const row = base + y * inputSize;
      // (x - mean) / std in float32, as torch computes it on a float32 tensor.
      for (let x = 0; x < width; x++, p += 3) out[row + x] = Math.fround(Math.fround(data[p] - mean) / std);
    }
  }
  return out;
}

/** Full reference preprocessing: longest-side resize, normalise, pad. */
export function preprocessImage(image: RgbImage, inputSize: number): { tensor: Float32Array; resized: Size } {
  const resized = resizeLongestSide(image, inputSize);
  return { tensor: normalizeAndPad(resized, inputSize), resized: { height: resized.height, width: resized.width } };
}

/** The "raw-hwc" encoder input form: the resized image as `[H, W, 3]` float32 0..255, no normalisation. */
export function toRawHwc(resized: RgbImage): Float32Array {
  assertRgbImage(resized, "resized image");
  return Float32Array.from(resized.data);
}
