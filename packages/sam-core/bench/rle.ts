/**
 * RLE throughput: mask -> COCO string -> mask, and area/IoU, on large masks (default: 1000 masks of a
 * 1500x2250 image made of random blobs with holes), each against a naive baseline in the same run:
 * - encode baseline: walk the row-major bitmap column by column (stride = width), then the same string
 *   packing;
 * - decode baseline: unpack the string, then write pixels column by column;
 * - area/IoU baseline: count pixels on the decoded bitmaps.
 * The baselines run on a subset (they are slow) and are reported per mask, so the ratio is fair.
 *
 *   npx tsx packages/sam-core/bench/rle.ts [masks] [naiveMasks]
 */
import { decodeRleCounts, encodeRleCounts } from "../src/mask/rle-coco.ts";
import { decodeMask, encodeMask, toRle } from "../src/mask/rle.ts";
import { rleArea, rleIou } from "../src/mask/rle-ops.ts";
import type { BinaryMask, CocoRle, Rle } from "../src/mask/types.ts";

export interface RleBenchOptions {
  masks?: number;
  height?: number;
  width?: number;
  /** How many masks the slow baselines process (default 50). */
  naiveMasks?: number;
  /** Distinct masks generated and cycled through (default 12), to bound memory. */
  pool?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface RleBenchRow {
  op: string;
  masksPerSec: number;
  naiveMasksPerSec: number;
  speedup: number;
}

export interface RleBenchResult {
  masks: number;
  height: number;
  width: number;
  rows: RleBenchRow[];
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A few ellipses (some punched out as holes), drawn span by span. */
function blobMask(h: number, w: number, r: () => number): BinaryMask {
  const data = new Uint8Array(h * w);
  const shapes = 3 + Math.floor(r() * 6);
  for (let s = 0; s < shapes; s++) {
    const cx = r() * w;
    const cy = r() * h;
    const rx = 20 + r() * w * 0.25;
    const ry = 20 + r() * h * 0.25;
    const value = s > 0 && r() < 0.3 ? 0 : 1;
    for (let y = Math.max(0, Math.ceil(cy - ry)); y < Math.min(h, cy + ry); y++) {
      const dy = (y + 0.5 - cy) / ry;
      const half = rx * Math.sqrt(Math.max(0, 1 - dy * dy));
      const x0 = Math.max(0, Math.round(cx - half));
      const x1 = Math.min(w, Math.round(cx + half));
      if (x1 > x0) data.fill(value, y * w + x0, y * w + x1);
    }
  }
  return { height: h, width: w, data };
}

function naiveEncode(m: BinaryMask): CocoRle {
  const { height: h, width: w, data } = m;
  const counts: number[] = [];
  let cur = 0;
  let len = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      const v = data[y * w + x] ? 1 : 0;
      if (v === cur) len++;
      else {
        counts.push(len);
        cur = v;
        len = 1;
      }
    }
  }
  counts.push(len);
  return { size: [h, w], counts: encodeRleCounts(counts) };
}

function naiveDecode(rle: CocoRle): BinaryMask {
  const [h, w] = rle.size;
  const counts = decodeRleCounts(rle.counts, h * w);
  const data = new Uint8Array(h * w);
  let p = 0;
  let v = 0;
  for (const c of counts) {
    for (let k = 0; k < c; k++, p++) {
      const x = Math.floor(p / h);
      data[(p - x * h) * w + x] = v;
    }
    v ^= 1;
  }
  return { height: h, width: w, data };
}

function naiveAreaIou(a: BinaryMask, b: BinaryMask): [number, number] {
  let area = 0;
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]!;
    const y = b.data[i]!;
    area += x;
    inter += x & y;
    union += x | y;
  }
  return [area, union === 0 ? 0 : inter / union];
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

export function runRleBench(options: RleBenchOptions = {}): RleBenchResult {
  const n = options.masks ?? 1000;
  const h = options.height ?? 1500;
  const w = options.width ?? 2250;
  const naiveN = Math.min(n, options.naiveMasks ?? 50);
  const poolSize = Math.max(2, Math.min(n, options.pool ?? 12));
  const log = options.log ?? ((line: string) => console.log(line));
  const r = rng(options.seed ?? 1);

  log(`RLE bench: ${n} masks of ${h}x${w} (${poolSize} distinct random blob masks, cycled); naive on ${naiveN}`);
  const pool = Array.from({ length: poolSize }, () => blobMask(h, w, r));

  let sink = 0; // keeps results observable so nothing is optimised away
  const coco: CocoRle[] = new Array(n);
  const encodeS = time(() => {
    for (let i = 0; i < n; i++) coco[i] = encodeMask(pool[i % poolSize]!);
  });
  const naiveEncodeS = time(() => {
    for (let i = 0; i < naiveN; i++) {
      const got = naiveEncode(pool[i % poolSize]!);
      if (got.counts !== coco[i]!.counts) throw new Error(`naive encode disagrees on mask ${i}`);
    }
  });

  const decodeS = time(() => {
    for (let i = 0; i < n; i++) sink += decodeMask(coco[i]!).data[i]!;
  });
  const naiveDecodeS = time(() => {
    for (let i = 0; i < naiveN; i++) {
      const got = naiveDecode(coco[i]!);
      const want = pool[i % poolSize]!.data;
      if (got.data[(i * 7919) % want.length] !== want[(i * 7919) % want.length]) {
        throw new Error(`naive decode disagrees on mask ${i}`);
      }
    }
  });

  // Area + IoU with the next mask: on RLE (uncompressed once, as a generator keeps them) vs bitmaps.
  const rles: Rle[] = coco.map(toRle);
  const areaIouS = time(() => {
    for (let i = 0; i < n; i++) sink += rleArea(rles[i]!) + rleIou(rles[i]!, rles[(i + 1) % n]!);
  });
  const naiveAreaIouS = time(() => {
    for (let i = 0; i < naiveN; i++) {
      const [area, iou] = naiveAreaIou(pool[i % poolSize]!, pool[(i + 1) % poolSize]!);
      const want = rleIou(rles[i]!, rles[(i + 1) % n]!);
      if (area !== rleArea(rles[i]!) || Math.abs(iou - want) > 1e-12) {
        throw new Error(`naive area/IoU disagrees on mask ${i}`);
      }
    }
  });

  const row = (op: string, s: number, naiveS: number): RleBenchRow => {
    const masksPerSec = n / s;
    const naiveMasksPerSec = naiveN / naiveS;
    return { op, masksPerSec, naiveMasksPerSec, speedup: masksPerSec / naiveMasksPerSec };
  };
  const rows = [
    row("encode mask -> COCO string", encodeS, naiveEncodeS),
    row("decode COCO string -> mask", decodeS, naiveDecodeS),
    row("area + IoU (RLE vs bitmap)", areaIouS, naiveAreaIouS),
  ];
  const avgLen = coco.reduce((s, c) => s + c.counts.length, 0) / n;
  log(`average COCO string: ${avgLen.toFixed(0)} chars (${((avgLen / (h * w)) * 100).toFixed(3)}% of pixels)`);
  log("op                            ours masks/s   naive masks/s   speedup");
  for (const x of rows) {
    log(
      `${x.op.padEnd(30)}${x.masksPerSec.toFixed(1).padStart(13)}${x.naiveMasksPerSec.toFixed(1).padStart(16)}` +
        `${x.speedup.toFixed(1).padStart(9)}x`,
    );
  }
  if (sink === Number.MIN_VALUE) log(""); // never true; reads `sink`
  return { masks: n, height: h, width: w, rows };
}

if (typeof process !== "undefined" && /bench[\\/]rle\.ts$/.test(process.argv[1] ?? "")) {
  const [masks, naive] = process.argv.slice(2).map(Number);
  runRleBench({ masks: masks || undefined, naiveMasks: naive || undefined });
}
