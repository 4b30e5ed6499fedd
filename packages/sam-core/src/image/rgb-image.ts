import { ImageError } from "./errors.ts";

/** 8-bit RGB, interleaved, row-major, no padding between rows. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export function assertRgbImage(image: RgbImage, what = "image"): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageError(`${what} has invalid size ${width}x${height} (width and height must be positive integers)`);
  }
  if (!(data instanceof Uint8Array)) throw new ImageError(`${what}.data must be a Uint8Array of RGB bytes`);
  if (data.length !== width * height * 3) {
    throw new ImageError(`${what}.data has ${data.length} bytes but ${width}x${height} RGB needs ${width * height * 3}`);
  }
}
