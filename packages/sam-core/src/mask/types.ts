/**
 * Shared shapes of the mask toolkit.
 *
 * Two memory orders meet here on purpose: masks are ROW-MAJOR (what canvases, ImageData and ONNX
 * outputs use: `data[y * width + x]`), while COCO RLE is COLUMN-MAJOR (Fortran order, as pycocotools
 * writes it). The conversions in `rle.ts` do the transposition so callers never have to.
 */

/** A binary mask in row-major order: `data[y * width + x]` is 0 or 1 (any non-zero byte reads as 1). */
export interface BinaryMask {
  height: number;
  width: number;
  data: Uint8Array;
}

/** `[height, width]`, the order COCO uses for `size`. */
export type RleSize = [number, number];

/**
 * Uncompressed COCO RLE: column-major run lengths, alternating, starting with a (possibly empty) run of
 * zeros. The counts always sum to `height * width`.
 */
export interface Rle {
  size: RleSize;
  counts: number[] | Uint32Array;
}

/** Compressed COCO RLE, byte-identical to what `pycocotools.mask.encode` produces. */
export interface CocoRle {
  size: RleSize;
  counts: string;
}

/** Either RLE flavour; the operations in `rle-ops.ts` accept both. */
export type AnyRle = Rle | CocoRle;

/** An axis-aligned box `[x0, y0, x1, y1]` (SAM / torchvision convention). */
export type Box = [number, number, number, number];

/** A COCO box `[x, y, width, height]`. */
export type XywhBox = [number, number, number, number];
