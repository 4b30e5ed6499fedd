/**
 * From one low-resolution logit map to what the generator needs of the full-resolution mask, computing
 * exact upscaled values only where bounds cannot decide them.
 *
 * The reference upsamples every mask to full resolution (bilinear to the encoder's input square, crop
 * the padding away, bilinear to the crop size), then thresholds at mask_threshold ± offset and at 0.
 * Each output pixel is a convex combination of a few low-res logits, so output pixels are grouped in
 * blocks by the low-res samples they read (see upscale-blocks.ts): when the min/max of a block's
 * low-res logits clear a threshold (with a margin for float rounding), every pixel of the block is on
 * the same side of it and is counted, not computed. Pixels of undecided blocks are computed exactly as
 * the reference does (same index/weight tables; the S-frame value rounded to float32, each bilinear
 * step's sums in double and rounded once).
 *
 * The stages are separate so the generator pays only for what it uses: `stabilityCounts()` needs only
 * the ±offset thresholds (usually decided everywhere), `box()` needs the 0 threshold only near the
 * mask's extremes, and `materialize()` (RLE, area, box) can wait until the candidate survived NMS;
 * `capture()` keeps the low-res logits it needs (a few hundred KB at most) until then.
 */
import type { Box, Rle } from "../mask/types.ts";
import { resampleAxis } from "./resample-axis.ts";
import type { ResampleAxis } from "./resample-axis.ts";
import { above, below, blockedAxis, blocksReading } from "./upscale-blocks.ts";
import type { BlockedAxis } from "./upscale-blocks.ts";
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

/** The stability thresholds mask_threshold ± offset as float32 (`thrLo <= 0 <= thrHi`). */
export interface StabilityThresholds {
  thrHi: number;
  thrLo: number;
}

export interface StabilityCounts {
  /** Pixels > thrHi and > thrLo (stability = first / second). */
  intersections: number;
  unions: number;
}

export interface MaterializedMask {
  /** Foreground (> 0) pixels. */
  area: number;
  /** Inclusive `[x0, y0, x1, y1]` of the foreground in the crop frame; `[0, 0, 0, 0]` when empty. */
  box: Box;
  /** The foreground as RLE of the whole image (the crop placed at its position). */
  rle: Rle;
}

export type UpscaledMask = StabilityCounts & MaterializedMask;

/** The low-res logits a candidate's mask depends on, copied out of the decoder's batch output. */
export interface CapturedLogits {
  data: Float32Array;
  /** Low-res row and column of `data[0]`; `stride` values per row. */
  row0: number;
  col0: number;
  stride: number;
}

const f32 = Math.fround;
const EMPTY_BOX: Box = [0, 0, 0, 0];

/** Block states for the 0 threshold (the mask itself). */
const BG = 0;
const FG = 1;
const MIXED = 2;

export class MaskUpscaler {
  readonly geometry: UpscaleGeometry;
  private readonly rows1: ResampleAxis;
  private readonly cols1: ResampleAxis;
  private readonly rowsB: BlockedAxis;
  private readonly colsB: BlockedAxis;
  private readonly thrHi: number;
  private readonly thrLo: number;
  /** Low-res values at or below `cut` give outputs below thrLo and 0 whatever the rounding. */
  private readonly cut: number;
  private readonly aboveHi: number;
  private readonly belowHi: number;
  private readonly aboveLo: number;
  private readonly belowLo: number;
  private readonly above0 = above(0);
  private readonly below0 = below(0);

  // The loaded map: value of low-res (r, c) is L[base + r * stride + c].
  private L: Float32Array = new Float32Array(0);
  private base = 0;
  private stride = 0;
  /** Block rows b0..b1 and block columns g0..g1 that can hold anything above the cut; empty: b1 < b0. */
  private b0 = 0;
  private b1 = -1;
  private g0 = 0;
  private g1 = -1;
  /** Min and max of every low-res logit any block reads (bounds of the whole crop). */
  private gmin = 0;
  private gmax = 0;
  /** Last block bounds from `bounds()`. */
  private mn = 0;
  private mx = 0;
  /** Scratch: one block's S-frame values, and pixel levels of one block column (column-major, crop height). */
  private readonly sBuf: Float32Array;
  /** Scratch: one block's low-res rows interpolated along x (double, as the reference's inner sums). */
  private readonly xBuf: Float64Array;
  private readonly levels: Uint8Array;
  /** BG / FG / MIXED per block row of one block column. */
  private readonly state: Uint8Array;

  constructor(geometry: UpscaleGeometry, thresholds: StabilityThresholds) {
    this.geometry = geometry;
    const g = geometry;
    this.rows1 = resampleAxis(g.lowResHeight, g.inputSize);
    this.cols1 = resampleAxis(g.lowResWidth, g.inputSize);
    this.rowsB = blockedAxis(this.rows1, resampleAxis(g.resizedHeight, g.cropHeight));
    this.colsB = blockedAxis(this.cols1, resampleAxis(g.resizedWidth, g.cropWidth));
    const { thrHi, thrLo } = thresholds;
    if (!(thrLo <= 0 && thrHi >= 0)) throw new RangeError(`stability thresholds must satisfy thrLo <= 0 <= thrHi, got ${thrLo}, ${thrHi}`);
    this.thrHi = thrHi;
    this.thrLo = thrLo;
    this.cut = Math.min(below(thrLo), this.below0);
    this.aboveHi = above(thrHi);
    this.belowHi = below(thrHi);
    this.aboveLo = above(thrLo);
    this.belowLo = below(thrLo);
    this.sBuf = new Float32Array(this.rowsB.maxSpan * this.colsB.maxSpan);
    this.xBuf = new Float64Array(this.rowsB.maxReach * this.colsB.maxSpan);
    this.levels = new Uint8Array(g.cropHeight * this.colsB.maxLength);
    this.state = new Uint8Array(this.rowsB.blocks);
    this.readRows = this.rowsB.hi[this.rowsB.blocks - 1]! + 1;
    this.readCols = this.colsB.hi[this.colsB.blocks - 1]! + 1;
  }

  /** Low-res rows / columns any output pixel reads (the rest is padding). */
  private readonly readRows: number;
  private readonly readCols: number;

  /** Loads one `lowResHeight x lowResWidth` map (row-major) starting at `offset`. */
  load(logits: Float32Array, offset: number): void {
    this.setMap(logits, offset, this.geometry.lowResWidth, 0, 0, 0, this.geometry.lowResHeight - 1, 0, this.geometry.lowResWidth - 1);
  }

  /** Loads logits kept by `capture()`. */
  loadCaptured(c: CapturedLogits): void {
    const rows = c.data.length / c.stride;
    this.setMap(c.data, 0, c.stride, c.row0, c.col0, c.row0, c.row0 + rows - 1, c.col0, c.col0 + c.stride - 1);
  }

  /** Copies the low-res logits the loaded mask depends on (the blocks above the cut). */
  capture(): CapturedLogits {
    if (this.b1 < this.b0) return { data: new Float32Array(0), row0: 0, col0: 0, stride: 1 };
    const r0 = this.rowsB.lo[this.b0]!;
    const r1 = this.rowsB.hi[this.b1]!;
    const c0 = this.colsB.lo[this.g0]!;
    const c1 = this.colsB.hi[this.g1]!;
    const w = c1 - c0 + 1;
    const data = new Float32Array((r1 - r0 + 1) * w);
    for (let r = r0; r <= r1; r++) {
      const from = this.base + r * this.stride + c0;
      data.set(this.L.subarray(from, from + w), (r - r0) * w);
    }
    return { data, row0: r0, col0: c0, stride: w };
  }

  /** Bytes `capture()` would keep for the loaded mask. */
  captureBytes(): number {
    if (this.b1 < this.b0) return 0;
    return 4 * (this.rowsB.hi[this.b1]! - this.rowsB.lo[this.b0]! + 1) * (this.colsB.hi[this.g1]! - this.colsB.lo[this.g0]! + 1);
  }

  private setMap(L: Float32Array, offset: number, stride: number, row0: number, col0: number, ra0: number, rb0: number, ca0: number, cb0: number): void {
    this.L = L;
    this.stride = stride;
    this.base = offset - row0 * stride - col0;
    const base = this.base;
    const cut = this.cut;
    // Low-res rectangle holding every value above the cut; everything outside reads only values below.
    rb0 = Math.min(rb0, this.readRows - 1);
    cb0 = Math.min(cb0, this.readCols - 1);
    let ra = rb0 + 1;
    let rb = -1;
    let ca = cb0 + 1;
    let cb = -1;
    let mn = Infinity;
    let mx = -Infinity;
    for (let r = ra0; r <= rb0; r++) {
      const row = base + r * stride;
      let first = -1;
      let last = -1;
      for (let c = ca0; c <= cb0; c++) {
        const v = L[row + c]!;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        if (v > cut) {
          if (first < 0) first = c;
          last = c;
        }
      }
      if (first < 0) continue;
      if (r < ra) ra = r;
      rb = r;
      if (first < ca) ca = first;
      if (last > cb) cb = last;
    }
    this.gmin = mn;
    this.gmax = mx;
    const rowBlocks = blocksReading(this.rowsB, ra, rb);
    const colBlocks = blocksReading(this.colsB, ca, cb);
    if (!rowBlocks || !colBlocks) {
      this.b0 = 0;
      this.b1 = -1;
      return;
    }
    [this.b0, this.b1] = rowBlocks;
    [this.g0, this.g1] = colBlocks;
  }

  /** Min/max of the low-res logits block (b, g) reads, into `mn` / `mx` (at most a few values). */
  private bounds(b: number, g: number): void {
    const { L, base, stride } = this;
    const ca = this.colsB.lo[g]!;
    const ce = this.colsB.hi[g]!;
    let mn = Infinity;
    let mx = -Infinity;
    for (let r = this.rowsB.lo[b]!, re = this.rowsB.hi[b]!; r <= re; r++) {
      const row = base + r * stride;
      for (let c = ca; c <= ce; c++) {
        const v = L[row + c]!;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
    }
    this.mn = mn;
    this.mx = mx;
  }

  /** BG / FG / MIXED (for the 0 threshold) of block (b, g). */
  private state0(b: number, g: number): number {
    this.bounds(b, g);
    return this.mn > this.above0 ? FG : this.mx <= this.below0 ? BG : MIXED;
  }

  /**
   * Exact levels of block (b, g)'s pixels into `levels[(x - xStart) * cropHeight + y]`: the number of
   * thresholds (thrLo, 0, thrHi) the upscaled value is above, so > 0 is `level >= 2`.
   */
  private evalBlock(b: number, g: number): void {
    const R = this.rowsB;
    const C = this.colsB;
    const R1 = this.rows1;
    const C1 = this.cols1;
    const { L, base, stride, sBuf: S, xBuf: X, levels, thrHi, thrLo } = this;
    const H = this.geometry.cropHeight;
    const ys = R.start[b]!;
    const ye = R.start[b + 1]!;
    const xs = C.start[g]!;
    const xe = C.start[g + 1]!;
    const sra = R.s0[ys]!;
    const srb = R.s1[ye - 1]!;
    const sca = C.s0[xs]!;
    const scb = C.s1[xe - 1]!;
    const nsc = scb - sca + 1;
    // S-frame values the block reads, as the reference's intermediate float32 tensor: along x in
    // double on the low-res rows involved (each read by several S rows), then along y, rounded once.
    const lra = R1.i0[sra]!;
    const lrb = R1.i1[srb]!;
    for (let lr = lra; lr <= lrb; lr++) {
      const row = base + lr * stride;
      const o = (lr - lra) * nsc - sca;
      for (let sc = sca; sc <= scb; sc++) X[o + sc] = C1.w0[sc]! * L[row + C1.i0[sc]!]! + C1.w1[sc]! * L[row + C1.i1[sc]!]!;
    }
    for (let sr = sra; sr <= srb; sr++) {
      const x0 = (R1.i0[sr]! - lra) * nsc;
      const x1 = (R1.i1[sr]! - lra) * nsc;
      const v0 = R1.w0[sr]!;
      const v1 = R1.w1[sr]!;
      const o = (sr - sra) * nsc;
      for (let j = 0; j < nsc; j++) S[o + j] = f32(v0 * X[x0 + j]! + v1 * X[x1 + j]!);
    }
    const Rs0 = R.s0;
    const Rs1 = R.s1;
    const Rw0 = R.w0;
    const Rw1 = R.w1;
    for (let x = xs; x < xe; x++) {
      const c0 = C.s0[x]! - sca;
      const c1 = C.s1[x]! - sca;
      const u0 = C.w0[x]!;
      const u1 = C.w1[x]!;
      const ob = (x - xs) * H;
      for (let y = ys; y < ye; y++) {
        const a = (Rs0[y]! - sra) * nsc;
        const z = (Rs1[y]! - sra) * nsc;
        const v = f32(Rw0[y]! * (u0 * S[a + c0]! + u1 * S[a + c1]!) + Rw1[y]! * (u0 * S[z + c0]! + u1 * S[z + c1]!));
        levels[ob + y] = (v > thrLo ? 1 : 0) + (v > 0 ? 1 : 0) + (v > thrHi ? 1 : 0);
      }
    }
  }

  /** Pixels above thrHi and above thrLo (the stability score's two areas). */
  stabilityCounts(): StabilityCounts {
    const all = this.geometry.cropHeight * this.geometry.cropWidth;
    // Bounds of the whole map first: with small logits (or a large offset) both thresholds are decided
    // for every pixel at once.
    let unions = this.gmin > this.aboveLo ? all : this.gmax <= this.belowLo ? 0 : -1;
    let intersections = this.gmin > this.aboveHi ? all : this.gmax <= this.belowHi ? 0 : -1;
    if (this.b1 < this.b0) return { intersections: 0, unions: 0 };
    const countLo = unions < 0;
    const countHi = intersections < 0;
    if (!countLo && !countHi) return { intersections, unions };
    if (countLo) unions = 0;
    if (countHi) intersections = 0;
    const R = this.rowsB;
    const C = this.colsB;
    const { b0, b1, g0, g1, levels, aboveHi, belowHi, aboveLo, belowLo } = this;
    const H = this.geometry.cropHeight;
    for (let b = b0; b <= b1; b++) {
      const ys = R.start[b]!;
      const ye = R.start[b + 1]!;
      for (let g = g0; g <= g1; g++) {
        this.bounds(b, g);
        const { mn, mx } = this;
        const w = C.start[g + 1]! - C.start[g]!;
        const n = (ye - ys) * w;
        let needLo = false;
        let needHi = false;
        if (countLo) {
          if (mn > aboveLo) unions += n;
          else if (mx > belowLo) needLo = true;
        }
        if (countHi) {
          if (mn > aboveHi) intersections += n;
          else if (mx > belowHi) needHi = true;
        }
        if (!needLo && !needHi) continue;
        this.evalBlock(b, g);
        for (let x = 0; x < w; x++) {
          for (let p = x * H + ys, e = x * H + ye; p < e; p++) {
            const l = levels[p]!;
            if (needLo && l >= 1) unions++;
            if (needHi && l === 3) intersections++;
          }
        }
      }
    }
    return { intersections, unions };
  }

  /**
   * Inclusive foreground box in the crop frame (`[0, 0, 0, 0]` when empty), computing exact values
   * only in mixed blocks that can hold an extreme: columns are scanned in from the left and right,
   * then rows in from the top and bottom between them.
   */
  box(): Box {
    if (this.b1 < this.b0) return EMPTY_BOX;
    const R = this.rowsB;
    const C = this.colsB;
    const { b0, b1, g0, g1, levels } = this;
    const H = this.geometry.cropHeight;
    /** Extreme foreground column of block column g (first or last), or -1. */
    const columnIn = (g: number, last: boolean): number => {
      const xs = C.start[g]!;
      const xe = C.start[g + 1]!;
      let best = -1;
      for (let b = b0; b <= b1; b++) {
        const s = this.state0(b, g);
        if (s === FG) return last ? xe - 1 : xs;
        if (s === BG) continue;
        this.evalBlock(b, g);
        const ys = R.start[b]!;
        const ye = R.start[b + 1]!;
        for (let i = 0; i < xe - xs; i++) {
          const x = last ? xe - 1 - i : xs + i;
          if (best >= 0 && (last ? x <= best : x >= best)) break;
          let hit = false;
          for (let p = (x - xs) * H + ys, e = p + ye - ys; p < e && !hit; p++) hit = levels[p]! >= 2;
          if (hit) {
            best = x;
            break;
          }
        }
      }
      return best;
    };
    let x0 = -1;
    for (let g = g0; g <= g1 && x0 < 0; g++) x0 = columnIn(g, false);
    if (x0 < 0) return EMPTY_BOX;
    let x1 = -1;
    for (let g = g1; g >= g0 && x1 < 0; g--) x1 = columnIn(g, true);
    /** Extreme foreground row of block row b within columns [x0, x1], or -1. */
    const rowIn = (b: number, last: boolean): number => {
      const ys = R.start[b]!;
      const ye = R.start[b + 1]!;
      let best = -1;
      for (let g = g0; g <= g1; g++) {
        const xs = C.start[g]!;
        const xe = C.start[g + 1]!;
        if (xe - 1 < x0 || xs > x1) continue;
        const s = this.state0(b, g);
        if (s === FG) return last ? ye - 1 : ys;
        if (s === BG) continue;
        this.evalBlock(b, g);
        const xa = Math.max(xs, x0);
        const xb = Math.min(xe - 1, x1);
        for (let x = xa; x <= xb; x++) {
          const col = (x - xs) * H;
          if (last) {
            for (let y = ye - 1; y > best && y >= ys; y--) {
              if (levels[col + y]! >= 2) {
                best = y;
                break;
              }
            }
          } else {
            for (let y = ys; y < (best < 0 ? ye : best); y++) {
              if (levels[col + y]! >= 2) {
                best = y;
                break;
              }
            }
          }
        }
      }
      return best;
    };
    let y0 = -1;
    for (let b = b0; b <= b1 && y0 < 0; b++) y0 = rowIn(b, false);
    let y1 = -1;
    for (let b = b1; b >= b0 && y1 < 0; b--) y1 = rowIn(b, true);
    return [x0, y0, x1, y1];
  }

  /** Foreground (> 0) pixel count: decided blocks counted, mixed ones computed. */
  area(): number {
    if (this.b1 < this.b0) return 0;
    const R = this.rowsB;
    const C = this.colsB;
    const { b0, b1, g0, g1, levels } = this;
    const H = this.geometry.cropHeight;
    let area = 0;
    for (let b = b0; b <= b1; b++) {
      const ys = R.start[b]!;
      const ye = R.start[b + 1]!;
      for (let g = g0; g <= g1; g++) {
        const s = this.state0(b, g);
        const w = C.start[g + 1]! - C.start[g]!;
        if (s === FG) area += w * (ye - ys);
        if (s !== MIXED) continue;
        this.evalBlock(b, g);
        for (let x = 0; x < w; x++) for (let p = x * H + ys, e = x * H + ye; p < e; p++) if (levels[p]! >= 2) area++;
      }
    }
    return area;
  }

  /** The mask (> 0) as whole-image RLE, with its area and box, in one column-major pass. */
  materialize(): MaterializedMask {
    const g = this.geometry;
    const rle = new RleWriter(g.imageHeight, g.imageWidth);
    if (this.b1 < this.b0) return { area: 0, box: EMPTY_BOX, rle: rle.finish() };
    const R = this.rowsB;
    const C = this.colsB;
    const { b0, b1, g0, g1, state, levels } = this;
    const H = g.cropHeight;
    const yEnd = R.start[b1 + 1]!;
    let area = 0;
    let bx0 = -1;
    let bx1 = -1;
    let by0 = Infinity;
    let by1 = -1;
    for (let gi = g0; gi <= g1; gi++) {
      const xs = C.start[gi]!;
      const xe = C.start[gi + 1]!;
      for (let b = b0; b <= b1; b++) {
        const s = this.state0(b, gi);
        state[b] = s;
        if (s === MIXED) this.evalBlock(b, gi);
      }
      for (let x = xs; x < xe; x++) {
        const colBase = (g.cropX0 + x) * g.imageHeight + g.cropY0;
        const col = (x - xs) * H;
        let first = -1;
        let last = -1;
        for (let b = b0; b <= b1; b++) {
          const ys = R.start[b]!;
          const ye = R.start[b + 1]!;
          const s = state[b]!;
          if (s === BG) {
            rle.set(colBase + ys, 0);
          } else if (s === FG) {
            rle.set(colBase + ys, 1);
            area += ye - ys;
            if (first < 0) first = ys;
            last = ye - 1;
          } else {
            for (let y = ys; y < ye; y++) {
              if (levels[col + y]! >= 2) {
                rle.set(colBase + y, 1);
                area++;
                if (first < 0) first = y;
                last = y;
              } else {
                rle.set(colBase + y, 0);
              }
            }
          }
        }
        rle.set(colBase + yEnd, 0);
        if (first >= 0) {
          if (bx0 < 0) bx0 = x;
          bx1 = x;
          if (first < by0) by0 = first;
          if (last > by1) by1 = last;
        }
      }
    }
    const box: Box = bx1 < 0 ? EMPTY_BOX : [bx0, by0, bx1, by1];
    return { area, box, rle: rle.finish() };
  }

  /** Everything at once for the map at `offset` (stability counts, RLE, area, box). */
  upscale(logits: Float32Array, offset: number): UpscaledMask {
    this.load(logits, offset);
    return { ...this.stabilityCounts(), ...this.materialize() };
  }
}
