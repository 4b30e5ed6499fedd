// The "work frame": the raster the annotator previews masks in. It is the image scaled down so its
// longest side is at most `maxSide` (never up), so live masks cost the same on a 12-megapixel photo as on
// a small one; saved masks are always computed at the original size.

export interface Size {
  width: number;
  height: number;
}

export interface Frame extends Size {
  /** Frame pixels per original pixel, per axis. */
  sx: number;
  sy: number;
}

export const DEFAULT_FRAME_SIDE = 1024;

export class FrameError extends Error {
  override name = "FrameError";
}

export function workFrame(original: Size, maxSide = DEFAULT_FRAME_SIDE): Frame {
  const { width, height } = original;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new FrameError(`image size must be positive integers, got ${width}x${height}`);
  }
  if (!(maxSide >= 1)) throw new FrameError(`maxSide must be at least 1, got ${maxSide}`);
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  return { width: w, height: h, sx: w / width, sy: h / height };
}

/** The frame of the original image itself (scale 1), for full-resolution work. */
export function identityFrame(original: Size): Frame {
  return { width: original.width, height: original.height, sx: 1, sy: 1 };
}
