// Masks to RGBA pixels for the canvas: a translucent fill and an opaque outline (pixels with an unset
// 4-neighbour), so a mask stays readable over any photo and over other masks.

export type Rgb = readonly [number, number, number];

export function parseHexColor(hex: string): Rgb {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) throw new RangeError(`colour must be "#rrggbb", got "${hex}"`);
  const v = Number.parseInt(m[1]!, 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

export function isEdge(mask: Uint8Array, width: number, height: number, x: number, y: number): boolean {
  const i = y * width + x;
  return x === 0 || y === 0 || x === width - 1 || y === height - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - width] || !mask[i + width];
}

/** Paints `mask` over `rgba` (same width x height); later calls draw on top of earlier ones. */
export function paintMask(rgba: Uint8ClampedArray, mask: Uint8Array, width: number, height: number, color: Rgb, fillAlpha: number, outlineAlpha = 255): void {
  if (rgba.length !== width * height * 4 || mask.length !== width * height) throw new RangeError("paintMask: buffer sizes do not match the frame");
  const [r, g, b] = color;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      const o = 4 * i;
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = isEdge(mask, width, height, x, y) ? outlineAlpha : fillAlpha;
    }
  }
}
