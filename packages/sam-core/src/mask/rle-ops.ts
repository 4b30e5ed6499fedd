/**
 * Measures and set operations directly on RLE, never decoding to pixels: the cost is proportional to
 * the number of runs (roughly the mask's perimeter), not to its area. This is what keeps automatic
 * generation (hundreds of masks per image, pairwise IoU) fast.
 */
import { MaskInputError } from "./errors.ts";
import { toRle } from "./rle.ts";
import type { AnyRle, Rle, XywhBox } from "./types.ts";

/** Number of foreground pixels: the sum of the odd-indexed (ones) runs. */
export function rleArea(rle: AnyRle): number {
  const counts = toRle(rle).counts;
  let area = 0;
  for (let k = 1; k < counts.length; k += 2) area += counts[k]!;
  return area;
}

/**
 * Tight box `[x, y, width, height]` of the foreground, as `pycocotools.mask.toBbox`; `[0, 0, 0, 0]` for
 * an empty mask. (pycocotools also counts zero-length ones runs, which its own encoder never writes;
 * those are ignored here.)
 */
export function rleBbox(rle: AnyRle): XywhBox {
  const r = toRle(rle);
  const [h] = r.size;
  const counts = r.counts;
  let xs = Infinity;
  let xe = -1;
  let ys = Infinity;
  let ye = -1;
  let pos = 0;
  for (let k = 0; k < counts.length; k++) {
    const len = counts[k]!;
    if (k % 2 === 1 && len > 0) {
      const s = pos;
      const e = pos + len - 1;
      const x0 = Math.floor(s / h);
      const x1 = Math.floor(e / h);
      if (x0 < xs) xs = x0;
      if (x1 > xe) xe = x1;
      if (x0 === x1) {
        const y0 = s - x0 * h;
        const y1 = e - x1 * h;
        if (y0 < ys) ys = y0;
        if (y1 > ye) ye = y1;
      } else {
        // A run that wraps into the next column covers the last row of one and the first of the other.
        ys = 0;
        ye = h - 1;
      }
    }
    pos += len;
  }
  if (xe < 0) return [0, 0, 0, 0];
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

function assertSameRleSize(a: Rle, b: Rle): void {
  if (a.size[0] !== b.size[0] || a.size[1] !== b.size[1]) {
    throw new MaskInputError(`RLE sizes differ: ${a.size.join("x")} vs ${b.size.join("x")}`);
  }
}

/** Pixels set in both masks, by walking the two run lists together. */
function intersectionOfRles(a: Rle, b: Rle): number {
  const ca = a.counts;
  const cb = b.counts;
  const na = ca.length;
  const nb = cb.length;
  let ia = 0;
  let ib = 0;
  let ra = na > 0 ? ca[0]! : 0;
  let rb = nb > 0 ? cb[0]! : 0;
  let va = 0;
  let vb = 0;
  let inter = 0;
  for (;;) {
    while (ra === 0 && ia + 1 < na) {
      ra = ca[++ia]!;
      va ^= 1;
    }
    while (rb === 0 && ib + 1 < nb) {
      rb = cb[++ib]!;
      vb ^= 1;
    }
    if (ra === 0 || rb === 0) return inter; // both lists sum to h*w, so they end together
    const c = ra < rb ? ra : rb;
    if (va & vb) inter += c;
    ra -= c;
    rb -= c;
  }
}

/** Number of pixels in both masks. */
export function rleIntersectionArea(a: AnyRle, b: AnyRle): number {
  const ra = toRle(a);
  const rb = toRle(b);
  assertSameRleSize(ra, rb);
  return intersectionOfRles(ra, rb);
}

/** Intersection over union; 0 when the union is empty (as pycocotools). */
export function rleIou(a: AnyRle, b: AnyRle): number {
  const ra = toRle(a);
  const rb = toRle(b);
  assertSameRleSize(ra, rb);
  const inter = intersectionOfRles(ra, rb);
  if (inter === 0) return 0;
  return inter / (rleArea(ra) + rleArea(rb) - inter);
}

/**
 * `iscrowd`-style overlap: intersection / area(a), the share of `a` covered by `b` (pycocotools'
 * crowd IoU with `a` as the detection). 0 when `a` is empty.
 */
export function rleContainment(a: AnyRle, b: AnyRle): number {
  const ra = toRle(a);
  const rb = toRle(b);
  assertSameRleSize(ra, rb);
  const inter = intersectionOfRles(ra, rb);
  return inter === 0 ? 0 : inter / rleArea(ra);
}

function boxesOverlap(a: XywhBox, b: XywhBox): boolean {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

/**
 * IoU of every `a[i]` with every `b[j]`, row-major: `out[i * b.length + j]` (the layout of
 * `pycocotools.mask.iou(a, b, iscrowd)`). `iscrowd[j]` true makes column j use intersection / area(a[i]).
 * Pairs whose boxes do not overlap are skipped without walking their runs.
 */
export function rleIouMatrix(a: readonly AnyRle[], b: readonly AnyRle[], iscrowd?: readonly boolean[]): Float64Array {
  if (iscrowd !== undefined && iscrowd.length !== b.length) {
    throw new MaskInputError(`iscrowd has ${iscrowd.length} entries but there are ${b.length} RLEs`);
  }
  const ra = a.map(toRle);
  const rb = b.map(toRle);
  const areaA = ra.map(rleArea);
  const areaB = rb.map(rleArea);
  const boxA = ra.map(rleBbox);
  const boxB = rb.map(rleBbox);
  const out = new Float64Array(a.length * b.length);
  for (let i = 0; i < ra.length; i++) {
    for (let j = 0; j < rb.length; j++) {
      assertSameRleSize(ra[i]!, rb[j]!);
      if (!boxesOverlap(boxA[i]!, boxB[j]!)) continue;
      const inter = intersectionOfRles(ra[i]!, rb[j]!);
      if (inter === 0) continue;
      const denom = iscrowd?.[j] ? areaA[i]! : areaA[i]! + areaB[j]! - inter;
      out[i * rb.length + j] = inter / denom;
    }
  }
  return out;
}

/** Result bit for each (a, b) pixel pair, indexed by `a * 2 + b`. */
type Truth = readonly [number, number, number, number];
const UNION: Truth = [0, 1, 1, 1];
const INTERSECT: Truth = [0, 0, 0, 1];
const SUBTRACT: Truth = [0, 0, 1, 0];
const XOR: Truth = [0, 1, 1, 0];

/** Walks both run lists and writes the runs of `truth(a, b)`, merging equal neighbours. */
function combine(a: Rle, b: Rle, truth: Truth): Rle {
  assertSameRleSize(a, b);
  const ca = a.counts;
  const cb = b.counts;
  const na = ca.length;
  const nb = cb.length;
  let out = new Uint32Array(na + nb + 1);
  let m = 0;
  let ia = 0;
  let ib = 0;
  let ra = na > 0 ? ca[0]! : 0;
  let rb = nb > 0 ? cb[0]! : 0;
  let va = 0;
  let vb = 0;
  let cur = 0;
  let curLen = 0;
  for (;;) {
    while (ra === 0 && ia + 1 < na) {
      ra = ca[++ia]!;
      va ^= 1;
    }
    while (rb === 0 && ib + 1 < nb) {
      rb = cb[++ib]!;
      vb ^= 1;
    }
    if (ra === 0 || rb === 0) break;
    const c = ra < rb ? ra : rb;
    const v = truth[va * 2 + vb]!;
    if (v === cur) {
      curLen += c;
    } else {
      if (m === out.length) {
        const grown = new Uint32Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      out[m++] = curLen;
      cur = v;
      curLen = c;
    }
    ra -= c;
    rb -= c;
  }
  if (m === out.length) {
    const grown = new Uint32Array(out.length + 1);
    grown.set(out);
    out = grown;
  }
  out[m++] = curLen;
  return { size: [a.size[0], a.size[1]], counts: out.slice(0, m) };
}

/** Pixels in a or b. */
export function rleUnion(a: AnyRle, b: AnyRle): Rle {
  return combine(toRle(a), toRle(b), UNION);
}

/** Pixels in both a and b. */
export function rleIntersect(a: AnyRle, b: AnyRle): Rle {
  return combine(toRle(a), toRle(b), INTERSECT);
}

/** Pixels in a but not in b. */
export function rleSubtract(a: AnyRle, b: AnyRle): Rle {
  return combine(toRle(a), toRle(b), SUBTRACT);
}

/** Pixels in exactly one of a and b. */
export function rleXor(a: AnyRle, b: AnyRle): Rle {
  return combine(toRle(a), toRle(b), XOR);
}

/**
 * Union (default) or intersection of many RLEs, as `pycocotools.mask.merge(rles, intersect)`. Needs at
 * least one RLE, since an empty list has no size.
 */
export function rleMerge(rles: readonly AnyRle[], intersect = false): Rle {
  if (rles.length === 0) throw new MaskInputError("rleMerge needs at least one RLE");
  let acc = toRle(rles[0]!);
  // Copy so the caller never gets its own input object back.
  acc = { size: [acc.size[0], acc.size[1]], counts: Uint32Array.from(acc.counts) };
  for (let i = 1; i < rles.length; i++) acc = combine(acc, toRle(rles[i]!), intersect ? INTERSECT : UNION);
  return acc;
}
