/**
 * Row-major binary masks <-> column-major COCO RLE, each in one sequential pass over the pixels.
 *
 * The naive way walks the mask column by column (stride = width), which thrashes the cache on large
 * images. Instead both directions work on "transitions" — positions where the column-major stream
 * changes value — which can be found (encode) and applied (decode) while reading rows in memory order:
 * inside a column, pixel (x, y) follows (x, y - 1), i.e. `data[i]` follows `data[i - width]`.
 */
import { checkCountsSum, compressRle, decompressRle } from "./rle-coco.ts";
import type { AnyRle, BinaryMask, CocoRle, Rle } from "./types.ts";
import { assertMask, assertRleSize } from "./validate.ts";

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Both directions relate `data[i]` to `data[i - width]` for every i >= width: one fixed stride,
 * whatever the rows. To take 4 pixels per step, word j (bytes 4j..4j+3) is paired with the 4 bytes
 * starting at 4j - width; when width is not a multiple of 4 those are assembled from two aligned words
 * (little-endian: `(w[k] >>> lo) | (w[k + 1] << hi)`). This plan says which words and shifts to use;
 * null means "bytes only" (tiny widths, unaligned views, big-endian hosts).
 */
interface WordPlan {
  words: Uint32Array;
  /** First word whose 4 bytes all have i >= width. */
  first: number;
  /** Index of the word holding byte 4 * first - width. */
  k0: number;
  /** Right shift of that word in bits (0 when width % 4 === 0), and the left shift of the next. */
  lo: number;
  hi: number;
}

function wordPlan(data: Uint8Array, width: number): WordPlan | null {
  if (!LITTLE_ENDIAN || width < 4 || data.byteOffset % 4 !== 0) return null;
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
  const first = Math.ceil(width / 4);
  const q = 4 * first - width;
  return { words, first, k0: q >> 2, lo: 8 * (q & 3), hi: 32 - 8 * (q & 3) };
}

/** Row-major mask -> uncompressed column-major RLE (counts as a Uint32Array). */
export function maskToRle(mask: BinaryMask): Rle {
  assertMask(mask);
  const { height: h, width: w, data } = mask;
  const total = h * w;
  if (total === 0) return { size: [h, w], counts: new Uint32Array([0]) };

  // Pass 1 (pixels, memory order): row-major indices of transitions, plus how many fall in each column.
  let trans = new Uint32Array(Math.max(1024, 2 * (h + w)));
  let t = 0;
  const colCount = new Uint32Array(w);
  const push = (i: number, x: number) => {
    if (t === trans.length) {
      const grown = new Uint32Array(trans.length * 2);
      grown.set(trans);
      trans = grown;
    }
    trans[t++] = i;
    colCount[x]!++;
  };

  // Row 0: pixel (x, 0) follows the last pixel of column x - 1 in column-major order.
  const lastRow = (h - 1) * w;
  for (let x = 0; x < w; x++) {
    const prev = x === 0 ? 0 : data[lastRow + x - 1]!;
    if ((data[x] !== 0) !== (prev !== 0)) push(x, x);
  }

  // Pixels i >= w: a transition wherever data[i] and data[i - w] differ as booleans.
  const byteStep = (i: number) => {
    const a = data[i]!;
    const b = data[i - w]!;
    if (a !== b && (a === 0 || b === 0)) push(i, i % w);
  };
  const plan = wordPlan(data, w);
  if (plan) {
    const { words, first, lo, hi } = plan;
    const headEnd = Math.min(total, 4 * first);
    for (let i = w; i < headEnd; i++) byteStep(i);
    const end = words.length;
    let k = plan.k0;
    for (let j = first; j < end; j++, k++) {
      const prev = lo === 0 ? words[k]! : (words[k]! >>> lo) | (words[k + 1]! << hi);
      if ((words[j]! ^ prev) === 0) continue;
      for (let i = 4 * j; i < 4 * j + 4; i++) byteStep(i);
    }
    for (let i = Math.max(headEnd, 4 * end); i < total; i++) byteStep(i);
  } else {
    for (let i = w; i < total; i++) byteStep(i);
  }

  // Pass 2 (transitions only): stable counting sort by column gives column-major order, because
  // transitions were found in increasing row order within each column.
  const colStart = new Uint32Array(w + 1);
  for (let x = 0; x < w; x++) colStart[x + 1] = colStart[x]! + colCount[x]!;
  const sorted = new Uint32Array(t);
  const fill = colStart.slice(0, w);
  for (let k = 0; k < t; k++) {
    const i = trans[k]!;
    const x = i % w;
    const y = (i - x) / w;
    sorted[fill[x]!++] = x * h + y;
  }

  const counts = new Uint32Array(t + 1);
  let prev = 0;
  for (let k = 0; k < t; k++) {
    const p = sorted[k]!;
    counts[k] = p - prev;
    prev = p;
  }
  counts[t] = total - prev;
  return { size: [h, w], counts };
}

/** Uncompressed or compressed RLE -> uncompressed RLE (validated: counts must sum to h * w). */
export function toRle(rle: AnyRle): Rle {
  if (rle === null || typeof rle !== "object") throw new TypeError("RLE must be an object");
  if (typeof rle.counts === "string") return decompressRle(rle as CocoRle);
  assertRleSize(rle.size);
  checkCountsSum(rle.counts, rle.size[0] * rle.size[1]);
  return rle as Rle;
}

/** RLE (either flavour) -> row-major mask. */
export function rleToMask(rle: AnyRle): BinaryMask {
  const r = toRle(rle);
  const [h, w] = r.size;
  const counts = r.counts;
  const total = h * w;
  const out = new Uint8Array(total);
  if (total === 0) return { height: h, width: w, data: out };

  // Mark where each run of ones starts and stops within every column it touches; a running xor down
  // each column then turns those marks into the pixels.
  let pos = 0;
  for (let k = 0; k < counts.length; k++) {
    const len = counts[k]!;
    if (k % 2 === 1 && len > 0) {
      let s = pos;
      const e = pos + len;
      let x = Math.floor(s / h);
      let y0 = s - x * h;
      while (s < e) {
        const colBase = x * h;
        const segEnd = Math.min(e, colBase + h);
        const y1 = segEnd - colBase;
        out[y0 * w + x]! ^= 1;
        if (y1 < h) out[y1 * w + x]! ^= 1;
        s = segEnd;
        x++;
        y0 = 0;
      }
    }
    pos += len;
  }

  // Running xor down each column: out[i] ^= out[i - w], in increasing i so out[i - w] is final.
  const plan = wordPlan(out, w);
  if (plan) {
    const { words, first, lo, hi } = plan;
    const headEnd = Math.min(total, 4 * first);
    for (let i = w; i < headEnd; i++) out[i]! ^= out[i - w]!;
    const end = words.length;
    let k = plan.k0;
    // w >= 4, so words k and k + 1 lie before word j and are already final.
    for (let j = first; j < end; j++, k++) {
      words[j]! ^= lo === 0 ? words[k]! : (words[k]! >>> lo) | (words[k + 1]! << hi);
    }
    for (let i = Math.max(headEnd, 4 * end); i < total; i++) out[i]! ^= out[i - w]!;
  } else {
    for (let i = w; i < total; i++) out[i]! ^= out[i - w]!;
  }
  return { height: h, width: w, data: out };
}

/** Row-major mask -> COCO compressed RLE, byte-identical to `pycocotools.mask.encode`. */
export function encodeMask(mask: BinaryMask): CocoRle {
  return compressRle(maskToRle(mask));
}

/** COCO RLE (either flavour) -> row-major mask, as `pycocotools.mask.decode` (transposed to row-major). */
export function decodeMask(rle: AnyRle): BinaryMask {
  return rleToMask(rle);
}
