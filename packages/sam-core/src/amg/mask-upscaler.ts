/**
 * From one low-resolution logit map to the crop's binary mask, its stability score and its box, in one
 * pass over only the pixels that can be foreground.
 *
 * The reference upsamples every mask to full resolution (bilinear to the encoder's input square, crop
 * the padding away, bilinear to the crop size), then thresholds at mask_threshold ± offset and 0. Here
 * the same two bilinear steps run, with the same index/weight tables, but only inside a window: the
 * bilinear weights are non-negative and sum to one, so an output pixel can exceed -offset only if one
 * of its low-res sources does. Everything outside the window is below every threshold and counts for
 * nothing. Intermediate values are kept in float32 as in the reference; rounding inside one bilinear
 * step is done in double precision and rounded once to float32.
 */
import type { Box, Rle } from "../mask/types.ts";
import { outputRangeReading, resampleAxis } from "./resample-axis.ts";
import type { ResampleAxis } from "./resample-axis.ts";
import { RleWriter } from "./window-rle.ts";

export interface UpscaleGeometry {
  /** Low-res logits size (4x the embedding side). */
  lowResHeight: number;
  lowResWidth: number;
  /** Encoder input square side S. */
  inputSize: number;
  /** The crop after the longest-side resize (the un-padded part of the S x S frame). */
  resizedHeight: number;
  resizedWidth: number;
  /** The crop's size in the original image. */
  cropHeight: number;
  cropWidth: number;
  /** Where the crop sits in the image, and the image size (the RLE covers the whole image). */
  cropX0: number;
  cropY0: number;
  imageHeight: number;
  imageWidth: number;
}

export interface UpscaledMask {
  /** Pixels > +offset and > -offset (stability = first / second). */
  intersections: number;
  unions: number;
  /** Foreground (> 0) pixels. */
  area: number;
  /** Inclusive `[x0, y0, x1, y1]` of the foreground in the crop frame; `[0, 0, 0, 0]` when empty. */
  box: Box;
  /** The foreground as RLE of the whole image (the crop placed at its position). */
  rle: Rle;
}

const f32 = Math.fround;

export class MaskUpscaler {
  readonly geometry: UpscaleGeometry;
  private readonly rows1: ResampleAxis;
  private readonly cols1: ResampleAxis;
  private readonly rows2: ResampleAxis;
  private readonly cols2: ResampleAxis;
  private inter = new Float32Array(0);
  private rowsX = new Float64Array(0);
  private rowTab = new Int32Array(0);
  private column = new Float64Array(0);
  private cls = new Uint8Array(0);
  /** Per S-frame row r: the first crop row whose sources are both >= r; the last whose are both <= r. */
  private readonly firstYReading: Int32Array;
  private readonly lastYWithin: Int32Array;

  constructor(geometry: UpscaleGeometry) {
    this.geometry = geometry;
    const g = geometry;
    this.rows1 = resampleAxis(g.lowResHeight, g.inputSize);
    this.cols1 = resampleAxis(g.lowResWidth, g.inputSize);
    this.rows2 = resampleAxis(g.resizedHeight, g.cropHeight);
    this.cols2 = resampleAxis(g.resizedWidth, g.cropWidth);
    const { i0, i1, outSize } = this.rows2;
    const n = g.resizedHeight;
    this.firstYReading = new Int32Array(n);
    this.lastYWithin = new Int32Array(n);
    let y = 0;
    for (let r = 0; r < n; r++) {
      while (y < outSize && i0[y]! < r) y++;
      this.firstYReading[r] = y;
    }
    y = outSize - 1;
    for (let r = n - 1; r >= 0; r--) {
      while (y >= 0 && i1[y]! > r) y--;
      this.lastYWithin[r] = y;
    }
  }

  /**
   * `logits` is one `lowResHeight x lowResWidth` map (row-major) starting at `offset`.
   * `thrHi`/`thrLo` are the stability thresholds (mask_threshold ± offset, as float32; thrLo <= 0).
   */
  upscale(logits: Float32Array, offset: number, thrHi: number, thrLo: number): UpscaledMask {
    const g = this.geometry;
    const lh = g.lowResHeight;
    const lw = g.lowResWidth;
    // Sources at or below `cut` give outputs at or below min(thrLo, 0) whatever the float rounding.
    const cut = thrLo < 0 ? thrLo * (1 + 1e-3) : 0;
    let ra = lh;
    let rb = -1;
    let ca = lw;
    let cb = -1;
    for (let y = 0; y < lh; y++) {
      const row = offset + y * lw;
      let first = -1;
      let lastX = -1;
      for (let x = 0; x < lw; x++) {
        if (logits[row + x]! > cut) {
          if (first < 0) first = x;
          lastX = x;
        }
      }
      if (first < 0) continue;
      if (y < ra) ra = y;
      rb = y;
      if (first < ca) ca = first;
      if (lastX > cb) cb = lastX;
    }
    const empty: UpscaledMask = {
      intersections: 0,
      unions: 0,
      area: 0,
      box: [0, 0, 0, 0],
      rle: { size: [g.imageHeight, g.imageWidth], counts: Uint32Array.of(g.imageHeight * g.imageWidth) },
    };
    if (rb < 0) return empty;

    // Low-res rows -> rows of the S x S frame (only the un-padded part) -> crop rows. Same for columns.
    const [r1a, r1bx] = outputRangeReading(this.rows1, ra, rb);
    const [c1a, c1bx] = outputRangeReading(this.cols1, ca, cb);
    const r1b = Math.min(r1bx, g.resizedHeight);
    const c1b = Math.min(c1bx, g.resizedWidth);
    if (r1a >= r1b || c1a >= c1b) return empty;
    const [wy0, wy1] = outputRangeReading(this.rows2, r1a, r1b - 1);
    const [wx0, wx1] = outputRangeReading(this.cols2, c1a, c1b - 1);
    if (wy0 >= wy1 || wx0 >= wx1) return empty;

    // Intermediate (S-frame) values needed by the window, stored column-major. Separable: first along
    // x on the low-res rows involved (kept in double, exactly the inner sums of the 2D formula), then
    // along y, rounded to float32 as the reference's intermediate tensor.
    const ir0 = this.rows2.i0[wy0]!;
    const ir1 = this.rows2.i1[wy1 - 1]!;
    const ic0 = this.cols2.i0[wx0]!;
    const ic1 = this.cols2.i1[wx1 - 1]!;
    const nr = ir1 - ir0 + 1;
    const nc = ic1 - ic0 + 1;
    const R1i0 = this.rows1.i0;
    const R1i1 = this.rows1.i1;
    const R1w0 = this.rows1.w0;
    const R1w1 = this.rows1.w1;
    const C1i0 = this.cols1.i0;
    const C1i1 = this.cols1.i1;
    const C1w0 = this.cols1.w0;
    const C1w1 = this.cols1.w1;
    const lr0 = R1i0[ir0]!;
    const nlr = R1i1[ir1]! - lr0 + 1;
    if (this.rowsX.length < nlr * nc) this.rowsX = new Float64Array(nlr * nc);
    const rowsX = this.rowsX;
    // Both passes walk columns so that every write is sequential (the low-res map is small enough to
    // stay in cache for the strided reads).
    for (let c = 0; c < nc; c++) {
      const sc = ic0 + c;
      const a0 = offset + C1i0[sc]!;
      const a1 = offset + C1i1[sc]!;
      const u0 = C1w0[sc]!;
      const u1 = C1w1[sc]!;
      const out = c * nlr;
      for (let lr = 0, row = lr0 * lw; lr < nlr; lr++, row += lw) {
        rowsX[out + lr] = u0 * logits[a0 + row]! + u1 * logits[a1 + row]!;
      }
    }
    if (this.inter.length < nr * nc) this.inter = new Float32Array(nr * nc);
    const inter = this.inter;
    if (this.rowTab.length < 2 * nr) {
      this.rowTab = new Int32Array(2 * nr);
    }
    const rowTab = this.rowTab;
    for (let r = 0; r < nr; r++) {
      rowTab[2 * r] = R1i0[ir0 + r]! - lr0;
      rowTab[2 * r + 1] = R1i1[ir0 + r]! - lr0;
    }
    for (let c = 0; c < nc; c++) {
      const src = c * nlr;
      const out = c * nr;
      for (let r = 0; r < nr; r++) {
        const sr = ir0 + r;
        inter[out + r] = f32(R1w0[sr]! * rowsX[src + rowTab[2 * r]!]! + R1w1[sr]! * rowsX[src + rowTab[2 * r + 1]!]!);
      }
    }

    const ww = wx1 - wx0;
    if (this.column.length < nr) {
      this.column = new Float64Array(nr);
      this.cls = new Uint8Array(nr);
    }
    const column = this.column;
    const cls = this.cls;
    const R2i0 = this.rows2.i0;
    const R2i1 = this.rows2.i1;
    const R2w0 = this.rows2.w0;
    const R2w1 = this.rows2.w1;
    const firstY = this.firstYReading;
    const lastY = this.lastYWithin;
    const C2 = this.cols2;
    // Sources above hiCut (below loCut) give outputs above thrHi (below thrLo and 0) whatever the
    // float rounding, so a run of such sources is a run of known output pixels: counted, not computed.
    const hiCut = thrHi * (1 + 1e-5) + 1e-6;
    const loCut = thrLo * (1 + 1e-5) - 1e-6;
    const H = g.imageHeight;
    const rle = new RleWriter(H, g.imageWidth);
    let intersections = 0;
    let unions = 0;
    let area = 0;
    let bx0 = Infinity;
    let bx1 = -1;
    let by0 = Infinity;
    let by1 = -1;
    for (let x = 0; x < ww; x++) {
      const ox = wx0 + x;
      const c0 = (C2.i0[ox]! - ic0) * nr;
      const c1 = (C2.i1[ox]! - ic0) * nr;
      const u0 = C2.w0[ox]!;
      const u1 = C2.w1[ox]!;
      for (let r = 0; r < nr; r++) {
        const v = u0 * inter[c0 + r]! + u1 * inter[c1 + r]!;
        column[r] = v;
        cls[r] = v > hiCut ? 2 : v <= loCut ? 0 : 1;
      }
      const colBase = (g.cropX0 + ox) * H + g.cropY0;
      let colFirst = -1;
      let colLast = -1;
      let y = wy0;
      // Computes output rows [y, end) one by one.
      const compute = (end: number) => {
        for (; y < end; y++) {
          const v = f32(R2w0[y]! * column[R2i0[y]! - ir0]! + R2w1[y]! * column[R2i1[y]! - ir0]!);
          if (v > thrHi) intersections++;
          if (v > thrLo) unions++;
          if (v > 0) {
            rle.set(colBase + y, 1);
            area++;
            if (colFirst < 0) colFirst = y;
            colLast = y;
          } else {
            rle.set(colBase + y, 0);
          }
        }
      };
      for (let r = 0; r < nr && y < wy1; ) {
        const k = cls[r]!;
        let re = r;
        while (re + 1 < nr && cls[re + 1] === k) re++;
        if (k !== 1) {
          // Output rows whose two sources both lie in [r, re].
          const ya = Math.max(firstY[ir0 + r]!, y);
          const yb = Math.min(lastY[ir0 + re]!, wy1 - 1);
          if (yb >= ya) {
            compute(ya);
            const n = yb - ya + 1;
            if (k === 2) {
              intersections += n;
              unions += n;
              area += n;
              rle.set(colBase + ya, 1);
              if (colFirst < 0) colFirst = ya;
              colLast = yb;
            } else {
              rle.set(colBase + ya, 0);
            }
            y = yb + 1;
          }
        }
        r = re + 1;
      }
      compute(wy1);
      rle.set(colBase + wy1, 0);
      if (colFirst >= 0) {
        if (x < bx0) bx0 = x;
        bx1 = x;
        if (colFirst < by0) by0 = colFirst;
        if (colLast > by1) by1 = colLast;
      }
    }
    const box: Box = bx1 < 0 ? [0, 0, 0, 0] : [wx0 + bx0, by0, wx0 + bx1, by1];
    return { intersections, unions, area, box, rle: rle.finish() };
  }
}
