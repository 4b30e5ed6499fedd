// Zoom and pan: a uniform scale plus offset from image pixels to canvas (CSS) pixels.

export interface View {
  scale: number;
  tx: number;
  ty: number;
}

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 64;

export function fitView(image: { width: number; height: number }, viewport: { width: number; height: number }, margin = 8): View {
  const scale = Math.max(MIN_SCALE, Math.min((viewport.width - 2 * margin) / image.width, (viewport.height - 2 * margin) / image.height));
  return { scale, tx: (viewport.width - image.width * scale) / 2, ty: (viewport.height - image.height * scale) / 2 };
}

export function toImage(v: View, sx: number, sy: number): [number, number] {
  return [(sx - v.tx) / v.scale, (sy - v.ty) / v.scale];
}

export function toScreen(v: View, x: number, y: number): [number, number] {
  return [x * v.scale + v.tx, y * v.scale + v.ty];
}

/** Zooms by `factor` keeping the image point under (sx, sy) where it is. */
export function zoomAt(v: View, factor: number, sx: number, sy: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.scale * factor));
  const k = scale / v.scale;
  return { scale, tx: sx - (sx - v.tx) * k, ty: sy - (sy - v.ty) * k };
}

export function panBy(v: View, dx: number, dy: number): View {
  return { ...v, tx: v.tx + dx, ty: v.ty + dy };
}
