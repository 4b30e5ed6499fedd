/**
 * COCO RLE (uncompressed, column-major) of an image that is zero except for a rectangular window whose
 * pixels are given column by column. Costs O(window area + number of runs), never touching the
 * (possibly huge) rest of the image — the point of keeping masks as RLE right after binarising.
 */
import type { Rle } from "../mask/types.ts";

export interface BinaryWindow {
  /** Window position and size in the image. */
  x0: number;
  y0: number;
  width: number;
  height: number;
  /** Column-major: `data[x * height + y]` is 0 or 1. */
  data: Uint8Array;
}

export function windowToRle(win: BinaryWindow, imageHeight: number, imageWidth: number): Rle {
  const { x0, y0, width: ww, height: wh, data } = win;
  const H = imageHeight;
  let counts = new Uint32Array(64);
  let n = 0;
  const push = (v: number) => {
    if (n === counts.length) {
      const grown = new Uint32Array(counts.length * 2);
      grown.set(counts);
      counts = grown;
    }
    counts[n++] = v;
  };
  // `last` is the column-major position where the current run began; `cur` its value.
  let cur = 0;
  let last = 0;
  for (let c = 0; c < ww; c++) {
    const base = (x0 + c) * H + y0;
    const col = c * wh;
    for (let r = 0; r < wh; r++) {
      if (data[col + r] !== cur) {
        const p = base + r;
        push(p - last);
        last = p;
        cur ^= 1;
      }
    }
    // The run goes on into the next column only when the window spans whole columns; otherwise the
    // pixel after this window column lies outside the window, where the image is zero.
    const continues = y0 === 0 && wh === H && c + 1 < ww;
    if (cur === 1 && !continues) {
      const p = base + wh;
      push(p - last);
      last = p;
      cur = 0;
    }
  }
  // pycocotools writes no empty trailing run when the mask ends on a foreground pixel.
  if (n === 0 || H * imageWidth - last > 0) push(H * imageWidth - last);
  return { size: [H, imageWidth], counts: counts.slice(0, n) };
}
