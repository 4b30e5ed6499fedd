/** Encoding crops of an in-memory RGB image with any full-image encoder function. */
import type { SamEmbedding } from "../embedding/embedding.ts";
import type { RgbImage } from "../image/rgb-image.ts";
import { assertRgbImage } from "../image/rgb-image.ts";
import type { Box } from "../mask/types.ts";
import type { EncodeCrop } from "./decoder.ts";
import { AmgInputError } from "./errors.ts";

/** The pixels of `[x0, y0, x1, y1]` (exclusive ends) as a new image, like `image[y0:y1, x0:x1]`. */
export function cropRgbImage(image: RgbImage, box: Box): RgbImage {
  assertRgbImage(image);
  const [x0, y0, x1, y1] = box;
  if (!(Number.isInteger(x0) && Number.isInteger(y0) && x0 >= 0 && y0 >= 0 && x1 <= image.width && y1 <= image.height && x1 > x0 && y1 > y0)) {
    throw new AmgInputError(`crop [${box.join(", ")}] is not a non-empty integer region of the ${image.width}x${image.height} image`);
  }
  const w = x1 - x0;
  const h = y1 - y0;
  if (w === image.width && h === image.height) return image;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const src = ((y0 + y) * image.width + x0) * 3;
    out.set(image.data.subarray(src, src + w * 3), y * w * 3);
  }
  return { width: w, height: h, data: out };
}

/**
 * An `EncodeCrop` that crops `image` and runs `encode` on the crop (e.g. `(img) => predictor.setImage(img)`,
 * or a smaller encoder for the crop layers).
 */
export function cropEncoder(image: RgbImage, encode: (crop: RgbImage) => Promise<SamEmbedding>): EncodeCrop {
  return (box) => encode(cropRgbImage(image, box));
}
