// Turns uploaded bytes into the image the product stores: EXIF orientation applied, 8-bit sRGB with no
// alpha (transparent areas flattened onto white), plus a small JPEG thumbnail. Rejects anything that is
// not a raster image, is truncated, or claims more pixels than the limit (decompression bombs).
import sharp, { type Metadata, type OutputInfo } from "sharp";

export const DEFAULT_MAX_PIXELS = 100_000_000;
export const THUMBNAIL_SIZE = 256;
const ACCEPTED_FORMATS = new Set(["jpeg", "png", "webp", "gif", "tiff", "avif", "heif"]);

/** The file cannot become a project image; the message says why in words a user understands. */
export class ImageRejectedError extends Error {
  override name = "ImageRejectedError";
}

export interface NormalisedImage {
  /** Encoded stored image (JPEG for JPEG sources, PNG otherwise). */
  bytes: Buffer;
  mimeType: "image/jpeg" | "image/png";
  extension: "jpg" | "png";
  width: number;
  height: number;
  thumbnail: Buffer;
  original: {
    format: string;
    width: number;
    height: number;
    channels: number;
    bitsPerSample: string;
    hasAlpha: boolean;
    orientation: number | null;
    space: string | null;
  };
}

export interface NormaliseOptions {
  maxPixels?: number;
  jpegQuality?: number;
}

export async function normaliseImage(input: Buffer, options: NormaliseOptions = {}): Promise<NormalisedImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (input.length === 0) throw new ImageRejectedError("the file is empty");
  let meta: Metadata;
  try {
    // Reading the header only: no pixel is decoded, so a bomb costs nothing here.
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    const sniffed = sniffFormat(input);
    if (sniffed) throw new ImageRejectedError(`the ${sniffed} file is truncated or corrupt (${shortReason(error)})`);
    throw new ImageRejectedError(`not a supported image (${shortReason(error)})`);
  }
  const format = meta.format ?? "unknown";
  if (!ACCEPTED_FORMATS.has(format)) {
    throw new ImageRejectedError(`unsupported format "${format}" (accepted: JPEG, PNG, WebP, GIF, TIFF, AVIF, HEIF)`);
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width < 1 || height < 1) throw new ImageRejectedError(`the image has no size (${width}x${height})`);
  if (width * height > maxPixels) {
    throw new ImageRejectedError(
      `${width}x${height} is ${formatMegapixels(width * height)}, over the limit of ${formatMegapixels(maxPixels)} (possible decompression bomb)`,
    );
  }

  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(input, { limitInputPixels: maxPixels, failOn: "truncated", sequentialRead: true })
      .rotate()
      .flatten({ background: "#ffffff" })
      .toColourspace("srgb")
      .removeAlpha()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new ImageRejectedError(`the image data cannot be decoded: truncated or corrupt (${shortReason(error)})`);
  }
  const { info } = raw;
  if (info.channels !== 3) throw new ImageRejectedError(`decoding gave ${info.channels} channels instead of RGB`);
  const rgb = () => sharp(raw.data, { raw: { width: info.width, height: info.height, channels: 3 } });
  const asJpeg = format === "jpeg";
  const [bytes, thumbnail] = await Promise.all([
    asJpeg ? rgb().jpeg({ quality: options.jpegQuality ?? 92 }).toBuffer() : rgb().png({ compressionLevel: 6 }).toBuffer(),
    rgb()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: "inside", withoutEnlargement: true })
      .jpeg({ quality: 80 })
      .toBuffer(),
  ]);
  return {
    bytes,
    mimeType: asJpeg ? "image/jpeg" : "image/png",
    extension: asJpeg ? "jpg" : "png",
    width: info.width,
    height: info.height,
    thumbnail,
    original: {
      format,
      width,
      height,
      channels: meta.channels ?? 0,
      bitsPerSample: String(meta.depth ?? "unknown"),
      hasAlpha: meta.hasAlpha ?? false,
      orientation: meta.orientation ?? null,
      space: meta.space ?? null,
    },
  };
}

/** Decodes a stored (already normalised) image to tightly packed 8-bit RGB. */
export async function decodeStoredRgb(bytes: Buffer): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { data, info } = await sharp(bytes).toColourspace("srgb").removeAlpha().raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Recognises a file by its first bytes, so a damaged image is reported as damaged rather than "not an image". */
function sniffFormat(bytes: Buffer): string | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "JPEG";
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "PNG";
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.subarray(0, 6).toString("latin1"))) return "GIF";
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString("latin1") === "RIFF" && bytes.subarray(8, 12).toString("latin1") === "WEBP") return "WebP";
  if (bytes.length >= 4 && ["II*\0", "MM\0*"].includes(bytes.subarray(0, 4).toString("latin1"))) return "TIFF";
  return undefined;
}

function formatMegapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(pixels < 1e7 ? 1 : 0)} megapixels`;
}

function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.slice(0, 200);
}
