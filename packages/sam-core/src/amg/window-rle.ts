/**
 * Building COCO RLE (uncompressed, column-major) directly while pixels are produced in column-major
 * order, without a pixel buffer: the writer only records where the value changes. Pixels never written
 * are zero. Costs O(number of runs) memory — the point of keeping masks as RLE right after binarising.
 */
import type { Rle } from "../mask/types.ts";

export class RleWriter {
  private counts = new Uint32Array(64);
  private n = 0;
  /** Column-major position where the current run began, and its value. */
  private last = 0;
  private cur = 0;

  constructor(
    readonly height: number,
    readonly width: number,
  ) {}

  /** From column-major position `p` on (p never decreasing between calls), pixels have value `v`. */
  set(p: number, v: number): void {
    if (v === this.cur) return;
    if (p === this.last && this.n > 0) {
      // The run that just began is empty: undo its start instead of writing a zero-length run.
      this.n--;
      this.last -= this.counts[this.n]!;
      this.cur = v;
      return;
    }
    if (this.n === this.counts.length) {
      const grown = new Uint32Array(this.counts.length * 2);
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[this.n++] = p - this.last;
    this.last = p;
    this.cur = v;
  }

  finish(): Rle {
    const total = this.height * this.width;
    const out = new Uint32Array(this.n + 1);
    out.set(this.counts.subarray(0, this.n));
    // pycocotools writes no empty trailing run when the mask ends on a foreground pixel.
    let n = this.n;
    if (n === 0 || total - this.last > 0) out[n++] = total - this.last;
    return { size: [this.height, this.width], counts: n === out.length ? out : out.slice(0, n) };
  }
}

export interface BinaryWindow {
  /** Window position and size in the image. */
  x0: number;
  y0: number;
  width: number;
  height: number;
  /** Column-major: `data[x * height + y]` is 0 or 1. */
  data: Uint8Array;
}

/** RLE of an image that is zero except for a window given column by column. */
export function windowToRle(win: BinaryWindow, imageHeight: number, imageWidth: number): Rle {
  const { x0, y0, width: ww, height: wh, data } = win;
  const w = new RleWriter(imageHeight, imageWidth);
  for (let c = 0; c < ww; c++) {
    const base = (x0 + c) * imageHeight + y0;
    for (let r = 0; r < wh; r++) w.set(base + r, data[c * wh + r]!);
    w.set(base + wh, 0);
  }
  return w.finish();
}
