/**
 * Connected components with statistics, the equivalent of OpenCV's `connectedComponentsWithStats`.
 *
 * Works on horizontal runs instead of pixels: runs of one row are joined to overlapping runs of the
 * row above with union-find, so the union-find sees one entry per run, not per pixel. Label 0 is the
 * background (zero pixels); components are numbered 1.. in the raster order of their first pixel.
 * (OpenCV's 8-connectivity algorithm scans 2x2 blocks, so where two components start in the same
 * block-row its numbering can differ; areas and the pixel sets never do.)
 */
import { MaskInputError } from "./errors.ts";
import type { BinaryMask } from "./types.ts";
import { assertMask } from "./validate.ts";

export type Connectivity = 4 | 8;

export interface Components {
  /** Number of labels, background included (as OpenCV's return value). */
  count: number;
  /** Row-major label per pixel; 0 = background. */
  labels: Int32Array;
  /** Per label (index 0 = background): pixel count and bounding box (left, top, width, height). */
  area: Int32Array;
  left: Int32Array;
  top: Int32Array;
  width: Int32Array;
  height: Int32Array;
}

class GrowableInt32 {
  data = new Int32Array(256);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
}

function find(parent: Int32Array, i: number): number {
  let r = i;
  while (parent[r] !== r) r = parent[r]!;
  while (parent[i] !== r) {
    const next = parent[i]!;
    parent[i] = r;
    i = next;
  }
  return r;
}

/** Labels the foreground (non-zero pixels) of `mask`. */
export function connectedComponents(mask: BinaryMask, connectivity: Connectivity = 8): Components {
  assertMask(mask);
  if (connectivity !== 4 && connectivity !== 8) {
    throw new MaskInputError(`connectivity must be 4 or 8, got ${String(connectivity)}`);
  }
  const { height: h, width: w, data } = mask;
  // 8-connectivity also joins runs that only touch at a corner: widen the overlap test by one.
  const reach = connectivity === 8 ? 1 : 0;

  const runStart = new GrowableInt32();
  const runEnd = new GrowableInt32(); // exclusive
  const rowFirstRun = new Int32Array(h + 1);
  let parent = new Int32Array(256);

  for (let y = 0; y < h; y++) {
    rowFirstRun[y] = runStart.length;
    const base = y * w;
    let x = 0;
    while (x < w) {
      while (x < w && data[base + x] === 0) x++;
      if (x >= w) break;
      const s = x;
      while (x < w && data[base + x] !== 0) x++;
      const id = runStart.length;
      runStart.push(s);
      runEnd.push(x);
      if (id >= parent.length) {
        const grown = new Int32Array(parent.length * 2);
        grown.set(parent);
        parent = grown;
      }
      parent[id] = id;
    }
  }
  rowFirstRun[h] = runStart.length;
  const rs = runStart.data;
  const re = runEnd.data;
  const nRuns = runStart.length;

  for (let y = 1; y < h; y++) {
    let p = rowFirstRun[y - 1]!;
    const pEnd = rowFirstRun[y]!;
    for (let c = rowFirstRun[y]!, cEnd = rowFirstRun[y + 1]!; c < cEnd; c++) {
      const cs = rs[c]! - reach;
      const ce = re[c]! + reach;
      // Skip runs above that end before this one starts; they cannot touch later runs either.
      while (p < pEnd && re[p]! <= cs) p++;
      for (let q = p; q < pEnd && rs[q]! < ce; q++) {
        const a = find(parent, q);
        const b = find(parent, c);
        // The smaller run index (earlier in raster order) stays the root.
        if (a < b) parent[b] = a;
        else if (b < a) parent[a] = b;
      }
    }
  }

  const labelOfRoot = new Int32Array(nRuns);
  let count = 1;
  const runLabel = new Int32Array(nRuns);
  for (let r = 0; r < nRuns; r++) {
    const root = find(parent, r);
    if (labelOfRoot[root] === 0) labelOfRoot[root] = count++;
    runLabel[r] = labelOfRoot[root]!;
  }

  const labels = new Int32Array(h * w);
  const area = new Int32Array(count);
  const left = new Int32Array(count).fill(w);
  const top = new Int32Array(count).fill(h);
  const right = new Int32Array(count).fill(-1);
  const bottom = new Int32Array(count).fill(-1);
  let bgArea = 0;
  for (let y = 0; y < h; y++) {
    const first = rowFirstRun[y]!;
    const last = rowFirstRun[y + 1]!;
    let fgInRow = 0;
    for (let r = first; r < last; r++) {
      const l = runLabel[r]!;
      const s = rs[r]!;
      const e = re[r]!;
      labels.fill(l, y * w + s, y * w + e);
      area[l]! += e - s;
      fgInRow += e - s;
      if (s < left[l]!) left[l] = s;
      if (e - 1 > right[l]!) right[l] = e - 1;
      if (y < top[l]!) top[l] = y;
      bottom[l] = y;
    }
    if (fgInRow < w) {
      // Runs are maximal, so the pixel just after a run (or before one) is background.
      bgArea += w - fgInRow;
      const bgFirst = first === last || rs[first]! > 0 ? 0 : re[first]!;
      const bgLast = first === last || re[last - 1]! < w ? w - 1 : rs[last - 1]! - 1;
      if (bgFirst < left[0]!) left[0] = bgFirst;
      if (bgLast > right[0]!) right[0] = bgLast;
      if (y < top[0]!) top[0] = y;
      bottom[0] = y;
    }
  }
  area[0] = bgArea;

  const width = new Int32Array(count);
  const height = new Int32Array(count);
  for (let l = 0; l < count; l++) {
    if (area[l] === 0) {
      left[l] = 0;
      top[l] = 0;
      continue;
    }
    width[l] = right[l]! - left[l]! + 1;
    height[l] = bottom[l]! - top[l]! + 1;
  }
  return { count, labels, area, left, top, width, height };
}
