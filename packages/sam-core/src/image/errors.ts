/** An image that is malformed, too large, or cannot be decoded. */
export class ImageError extends Error {
  override name = "ImageError";
}
