/**
 * The COCO compressed RLE string codec (the `counts` string of `pycocotools.mask.encode`).
 *
 * Format, re-derived from its definition: each run count is turned into a signed value — for index
 * i > 2 (note: not i >= 2; that is what pycocotools writes) the count minus counts[i - 2], else the count
 * itself. The value is written in 5-bit groups, least significant first; 0x20 marks "more groups
 * follow"; the writer stops once the remaining value is all sign (0 with bit 0x10 of the last group
 * clear, or -1 with it set), so bit 0x10 of the last group is the sign. Each group is written as the
 * character `group + 48` ('0'..'o').
 */
import { RleFormatError } from "./errors.ts";
import type { CocoRle, Rle } from "./types.ts";
import { assertRleSize } from "./validate.ts";

/** A count is a uint32 in pycocotools; 7 groups (35 bits incl. sign) cover every delta of two uint32s. */
const MAX_GROUPS = 7;
const MAX_COUNT = 0xffffffff;

const CHUNK = 8192;

function bytesToAscii(bytes: Uint8Array, length: number): string {
  let out = "";
  for (let i = 0; i < length; i += CHUNK) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(length, i + CHUNK)) as unknown as number[]);
  }
  return out;
}

/** Encodes uncompressed run counts as a COCO counts string. */
export function encodeRleCounts(counts: ArrayLike<number>): string {
  const m = counts.length;
  const buf = new Uint8Array(m * MAX_GROUPS);
  let p = 0;
  for (let i = 0; i < m; i++) {
    const cnt = counts[i]!;
    if (!Number.isInteger(cnt) || cnt < 0 || cnt > MAX_COUNT) {
      throw new RleFormatError(`RLE count at index ${i} must be an integer in [0, 2^32), got ${cnt}`);
    }
    // Plain numbers, not int32 bit ops: a delta of two uint32 counts does not fit an int32.
    let x = i > 2 ? cnt - counts[i - 2]! : cnt;
    for (;;) {
      const q = Math.floor(x / 32);
      let c = x - q * 32; // x & 0x1f, also for negative x
      x = q; // arithmetic shift right by 5
      const more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      buf[p++] = c + 48;
      if (!more) break;
    }
  }
  return bytesToAscii(buf, p);
}

/**
 * Decodes a COCO counts string into run counts. With `total`, also checks that the runs cover exactly
 * `total` pixels (h * w). Throws RleFormatError naming the first problem found.
 */
export function decodeRleCounts(s: string, total?: number): Uint32Array {
  if (typeof s !== "string") throw new RleFormatError(`RLE counts must be a string, got ${typeof s}`);
  const n = s.length;
  // Never more counts than characters.
  const cnts = new Uint32Array(n);
  let m = 0;
  let p = 0;
  let sum = 0;
  while (p < n) {
    let x = 0;
    let k = 0;
    let more = true;
    const start = p;
    while (more) {
      if (p >= n) {
        throw new RleFormatError(`RLE counts string ends inside a value (started at character ${start})`);
      }
      if (k >= MAX_GROUPS) {
        throw new RleFormatError(`RLE value starting at character ${start} is too long (overflow)`);
      }
      const code = s.charCodeAt(p) - 48;
      if (code < 0 || code > 63) {
        throw new RleFormatError(
          `invalid character ${JSON.stringify(s[p])} at position ${p} of RLE counts (allowed: '0'..'o')`,
        );
      }
      x += (code & 0x1f) * 2 ** (5 * k);
      more = (code & 0x20) !== 0;
      p++;
      k++;
      if (!more && code & 0x10) x -= 2 ** (5 * k);
    }
    if (m > 2) x += cnts[m - 2]!;
    if (x < 0 || x > MAX_COUNT) {
      throw new RleFormatError(`RLE count ${m} decodes to ${x}, outside [0, 2^32) (corrupt string)`);
    }
    if (total !== undefined && sum + x > total) {
      throw new RleFormatError(`RLE counts exceed the mask's ${total} pixels at count ${m}`);
    }
    sum += x;
    cnts[m++] = x;
  }
  if (total !== undefined && sum !== total) {
    throw new RleFormatError(`RLE counts sum to ${sum} but the mask has ${total} pixels`);
  }
  return cnts.slice(0, m);
}

/** Uncompressed -> compressed RLE. */
export function compressRle(rle: Rle): CocoRle {
  assertRleSize(rle.size);
  checkCountsSum(rle.counts, rle.size[0] * rle.size[1]);
  return { size: [rle.size[0], rle.size[1]], counts: encodeRleCounts(rle.counts) };
}

/** Compressed -> uncompressed RLE (counts as a Uint32Array). */
export function decompressRle(coco: CocoRle): Rle {
  assertRleSize(coco.size);
  const [h, w] = coco.size;
  return { size: [h, w], counts: decodeRleCounts(coco.counts, h * w) };
}

/** Throws RleFormatError unless the counts are non-negative integers summing to `total`. */
export function checkCountsSum(counts: ArrayLike<number>, total: number): void {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (!Number.isInteger(c) || c < 0) {
      throw new RleFormatError(`RLE count at index ${i} must be a non-negative integer, got ${c}`);
    }
    sum += c;
  }
  if (sum !== total) throw new RleFormatError(`RLE counts sum to ${sum} but the mask has ${total} pixels`);
}
