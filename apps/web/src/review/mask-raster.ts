// A proposed mask as an RGBA overlay: the COCO RLE is decoded in the browser with sam-core's mask
// toolkit (pure TypeScript, no runtime), then filled with the label colour, its edge drawn opaque so
// thin or small masks stay visible over busy photos.
// Only the mask entry is imported: the package root also pulls in the model builder and the runtime
// glue, which a review page has no use for.
import { rleToMask, type BinaryMask } from "@data-engine/sam-core/mask";

export type { BinaryMask };

/** Colour of masks without a label. */
export const UNLABELLED_COLOR = "#00b7ff";

export class MaskColorError extends Error {
  override name = "MaskColorError";
}

export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) throw new MaskColorError(`A label colour must look like #rrggbb, got "${hex}"`);
  const v = parseInt(m[1]!, 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Decodes a compressed RLE of an image of `height` x `width` into a row-major 0/1 mask. */
export function decodeMaskRle(counts: string, height: number, width: number): BinaryMask {
  return rleToMask({ size: [height, width], counts });
}

/**
 * RGBA pixels (row-major, 4 bytes each) of `mask` in `color`: the inside at `fillAlpha`, pixels on the
 * mask's edge (a 4-neighbour outside the mask or the image) opaque, the rest transparent.
 */
export function overlayPixels(mask: BinaryMask, color: string, fillAlpha = 0.45): Uint8ClampedArray {
  const { width: w, height: h, data } = mask;
  const [r, g, b] = hexToRgb(color);
  const out = new Uint8ClampedArray(w * h * 4);
  const fill = Math.round(Math.min(1, Math.max(0, fillAlpha)) * 255);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      if (!data[i]) continue;
      const edge = x === 0 || x === w - 1 || y === 0 || y === h - 1 || !data[i - 1] || !data[i + 1] || !data[i - w] || !data[i + w];
      const o = i * 4;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      out[o + 3] = edge ? 255 : fill;
    }
  }
  return out;
}
