import type { BinaryMask } from "@data-engine/sam-core";
import { Prng } from "../random.ts";

/*
 * Procedural scenes with exact masks: a textured background and a few textured shapes painted back to
 * front, so later shapes occlude earlier ones and every visible mask is known exactly. Two domains:
 * "shapes" (the starter model's training domain: discs, ellipses, boxes, triangles, polygons with
 * solid/striped/checkered/noisy fills in clearly different colours) and "rings" (a domain the starter
 * never sees: rings, crosses and thin bars, in colours close to the background, told apart mostly by
 * texture). "large" is the "shapes" domain with every shape's radius at 0.24-0.44 of the image instead of
 * 0.06-0.22: object scales the starter never sees, in colours and textures it knows.
 */

export const SCENE_DOMAINS = ["shapes", "rings", "large"] as const;
export type SceneDomain = (typeof SCENE_DOMAINS)[number];

/** A command-line domain name, checked. */
export function parseSceneDomain(name: string): SceneDomain {
  const d = SCENE_DOMAINS.find((x) => x === name);
  if (!d) throw new Error(`unknown scene domain "${name}" (one of ${SCENE_DOMAINS.join(", ")})`);
  return d;
}

export interface Scene {
  size: number;
  /** RGB 0-255, row-major HWC. */
  rgb: Uint8Array;
  /** Visible masks of the objects at full size (size x size), at least `minArea` pixels each. */
  masks: BinaryMask[];
}

export interface SceneOptions {
  size?: number;
  domain?: SceneDomain;
  minObjects?: number;
  maxObjects?: number;
  /** Visible area (pixels at full size) below which an occluded object is dropped. */
  minArea?: number;
  /**
   * Paint every surface in one flat colour (an easy curriculum stage). The texture draws still happen,
   * so a scene's geometry and colours are the same as with textures.
   */
  solidFills?: boolean;
}

type Rgb = [number, number, number];
type Texture = (x: number, y: number) => Rgb;

function randomColor(r: Prng): Rgb {
  return [r.int(256), r.int(256), r.int(256)];
}

function near(c: Rgb, r: Prng, spread: number): Rgb {
  return c.map((v) => Math.max(0, Math.min(255, v + (r.next() * 2 - 1) * spread))) as Rgb;
}

function texture(r: Prng, base: Rgb, alt: Rgb, solid = false): Texture {
  const drawn = r.int(4);
  const kind = solid ? 0 : drawn;
  const period = 4 + r.int(12);
  const angle = r.next() * Math.PI;
  const ca = Math.cos(angle);
  const sa = Math.sin(angle);
  const noiseSeed = r.int(1 << 30);
  const hash = (x: number, y: number) => {
    let h = Math.imul(x * 374761393 + y * 668265263 + noiseSeed, 1274126177);
    h ^= h >>> 13;
    return ((Math.imul(h, 1103515245) >>> 0) % 1000) / 1000;
  };
  switch (kind) {
    case 0:
      return () => base;
    case 1:
      return (x, y) => (Math.floor((x * ca + y * sa) / period) % 2 === 0 ? base : alt);
    case 2:
      return (x, y) => ((Math.floor(x / period) + Math.floor(y / period)) % 2 === 0 ? base : alt);
    default:
      return (x, y) => {
        const t = hash(x, y) * 0.5;
        return [0, 1, 2].map((i) => base[i]! * (1 - t) + alt[i]! * t) as Rgb;
      };
  }
}

type Inside = (x: number, y: number) => boolean;

function shape(r: Prng, size: number, domain: SceneDomain): Inside {
  const cx = size * (0.15 + 0.7 * r.next());
  const cy = size * (0.15 + 0.7 * r.next());
  const rad = size * (domain === "large" ? 0.24 + 0.2 * r.next() : 0.06 + 0.16 * r.next());
  const rot = r.next() * Math.PI;
  const cr = Math.cos(rot);
  const sr = Math.sin(rot);
  const local = (x: number, y: number): [number, number] => {
    const dx = x - cx;
    const dy = y - cy;
    return [dx * cr + dy * sr, -dx * sr + dy * cr];
  };
  if (domain === "rings") {
    const kind = r.int(3);
    if (kind === 0) {
      const inner = rad * (0.45 + 0.25 * r.next());
      return (x, y) => {
        const d = Math.hypot(x - cx, y - cy);
        return d <= rad && d >= inner;
      };
    }
    if (kind === 1) {
      const arm = rad * (0.2 + 0.15 * r.next());
      return (x, y) => {
        const [u, v] = local(x, y);
        return (Math.abs(u) <= rad && Math.abs(v) <= arm) || (Math.abs(v) <= rad && Math.abs(u) <= arm);
      };
    }
    const half = rad * (0.12 + 0.1 * r.next());
    const len = rad * 1.6;
    return (x, y) => {
      const [u, v] = local(x, y);
      return Math.abs(u) <= len && Math.abs(v) <= half;
    };
  }
  const kind = r.int(5);
  const aspect = 0.5 + r.next();
  switch (kind) {
    case 0:
      return (x, y) => Math.hypot(x - cx, y - cy) <= rad;
    case 1:
      return (x, y) => {
        const [u, v] = local(x, y);
        return (u / rad) ** 2 + (v / (rad * aspect)) ** 2 <= 1;
      };
    case 2:
      return (x, y) => {
        const [u, v] = local(x, y);
        return Math.abs(u) <= rad && Math.abs(v) <= rad * aspect;
      };
    default: {
      const n = kind === 3 ? 3 : 5 + r.int(3);
      const verts = Array.from({ length: n }, (_, i) => {
        const a = rot + (2 * Math.PI * i) / n;
        const rr = rad * (0.8 + 0.4 * r.next());
        return [cx + rr * Math.cos(a), cy + rr * Math.sin(a)] as const;
      });
      return (x, y) => {
        let inside = false;
        for (let i = 0, j = n - 1; i < n; j = i++) {
          const [xi, yi] = verts[i]!;
          const [xj, yj] = verts[j]!;
          if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
        }
        return inside;
      };
    }
  }
}

/** A seeded scene: same (seed, options) -> same pixels and masks. */
export function generateScene(seed: number, opts: SceneOptions = {}): Scene {
  const size = opts.size ?? 256;
  const domain = opts.domain ?? "shapes";
  const r = Prng.derive("scene", domain, seed);
  const minObj = opts.minObjects ?? 2;
  const maxObj = opts.maxObjects ?? 6;
  const minArea = opts.minArea ?? Math.round((size * size) / 400);
  const bgColor = randomColor(r);
  const bg = texture(r, bgColor, near(bgColor, r, 60), opts.solidFills);
  const rgb = new Uint8Array(size * size * 3);
  const owner = new Int16Array(size * size).fill(-1);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const c = bg(x, y);
      rgb.set([c[0], c[1], c[2]].map(Math.round), (y * size + x) * 3);
    }
  }
  const count = minObj + r.int(maxObj - minObj + 1);
  for (let k = 0; k < count; k++) {
    const inside = shape(r, size, domain);
    const base = domain === "rings" ? near(bgColor, r, 40) : randomColor(r);
    const tex = texture(
      r,
      base,
      domain === "rings" ? near(bgColor, r, 90) : near(base, r, 120),
      opts.solidFills,
    );
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (!inside(x + 0.5, y + 0.5)) continue;
        owner[y * size + x] = k;
        const c = tex(x, y);
        rgb.set([c[0], c[1], c[2]].map(Math.round), (y * size + x) * 3);
      }
    }
  }
  const masks: BinaryMask[] = [];
  for (let k = 0; k < count; k++) {
    const data = new Uint8Array(size * size);
    let n = 0;
    for (let i = 0; i < data.length; i++)
      if (owner[i] === k) {
        data[i] = 1;
        n++;
      }
    if (n >= minArea) masks.push({ height: size, width: size, data });
  }
  return { size, rgb, masks };
}

/** Area downsampling of a mask to a `side` grid: a cell is set when at least half of it is covered. */
export function downsampleMask(m: BinaryMask, side: number): BinaryMask {
  const f = m.width / side;
  const out = new Uint8Array(side * side);
  for (let Y = 0; Y < side; Y++) {
    for (let X = 0; X < side; X++) {
      let n = 0;
      for (let y = Y * f; y < (Y + 1) * f; y++)
        for (let x = X * f; x < (X + 1) * f; x++) n += m.data[y * m.width + x] ? 1 : 0;
      out[Y * side + X] = 2 * n >= f * f ? 1 : 0;
    }
  }
  return { height: side, width: side, data: out };
}
