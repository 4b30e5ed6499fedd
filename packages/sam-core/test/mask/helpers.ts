// Test-only helpers: deterministic random masks and deliberately naive pixel-level references.
import type { Connectivity } from "../../src/mask/components.ts";
import type { BinaryMask } from "../../src/mask/types.ts";

/** mulberry32: a tiny seeded PRNG so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeMask(height: number, width: number, f: (x: number, y: number) => boolean): BinaryMask {
  const data = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y) ? 1 : 0;
  return { height, width, data };
}

/** Independent pixels, each set with probability `p`. */
export function noiseMask(height: number, width: number, p: number, seed: number): BinaryMask {
  const r = rng(seed);
  return makeMask(height, width, () => r() < p);
}

/** A few filled discs and rectangles, with some discs punched out (holes, separate parts). */
export function blobMask(height: number, width: number, seed: number, shapes = 6): BinaryMask {
  const r = rng(seed);
  const data = new Uint8Array(height * width);
  for (let s = 0; s < shapes; s++) {
    const cx = r() * width;
    const cy = r() * height;
    const rad = 1 + r() * Math.min(width, height) * 0.3;
    const value = s > 0 && r() < 0.35 ? 0 : 1;
    const rect = r() < 0.3;
    const y0 = Math.max(0, Math.floor(cy - rad));
    const y1 = Math.min(height - 1, Math.ceil(cy + rad));
    const x0 = Math.max(0, Math.floor(cx - rad));
    const x1 = Math.min(width - 1, Math.ceil(cx + rad));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        if (rect || dx * dx + dy * dy <= rad * rad) data[y * width + x] = value;
      }
    }
  }
  return { height, width, data };
}

export function get(m: BinaryMask, x: number, y: number): number {
  if (x < 0 || y < 0 || x >= m.width || y >= m.height) return 0;
  return m.data[y * m.width + x]! ? 1 : 0;
}

/** Column-major runs the slow, obvious way: walk x outer, y inner. */
export function naiveRuns(m: BinaryMask): number[] {
  const runs: number[] = [];
  let cur = 0;
  let len = 0;
  for (let x = 0; x < m.width; x++) {
    for (let y = 0; y < m.height; y++) {
      const v = get(m, x, y);
      if (v === cur) len++;
      else {
        runs.push(len);
        cur = v;
        len = 1;
      }
    }
  }
  runs.push(len);
  return runs;
}

export function countOnes(m: BinaryMask): number {
  let n = 0;
  for (const v of m.data) if (v) n++;
  return n;
}

/** Reference: breadth-first flood fill from each unlabelled pixel in raster order. */
export function floodLabels(m: BinaryMask, conn: Connectivity, fg = true): { labels: Int32Array; count: number } {
  const { height: h, width: w } = m;
  const isFg = (i: number) => (m.data[i] !== 0) === fg;
  const labels = new Int32Array(h * w);
  const nbrs =
    conn === 4
      ? [
          [1, 0],
          [-1, 0],
          [0, 1],
          [0, -1],
        ]
      : [
          [1, 0],
          [-1, 0],
          [0, 1],
          [0, -1],
          [1, 1],
          [1, -1],
          [-1, 1],
          [-1, -1],
        ];
  let next = 1;
  for (let s = 0; s < h * w; s++) {
    if (!isFg(s) || labels[s]) continue;
    const queue = [s];
    labels[s] = next;
    while (queue.length) {
      const i = queue.pop()!;
      const x = i % w;
      const y = (i - x) / w;
      for (const [dx, dy] of nbrs) {
        const nx = x + dx!;
        const ny = y + dy!;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const j = ny * w + nx;
        if (isFg(j) && !labels[j]) {
          labels[j] = next;
          queue.push(j);
        }
      }
    }
    next++;
  }
  return { labels, count: next };
}
