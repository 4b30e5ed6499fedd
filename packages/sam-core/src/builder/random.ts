/**
 * Deterministic randomness. The generator is mulberry32 (a 32-bit state, one multiply-xorshift per draw,
 * Tommy Ettinger's public-domain design), seeded from FNV-1a of its labels joined by ":": weights are
 * seeded per tensor (`${seed}:${name}`), so they depend only on the seed and the name, not on build
 * order; the trainer derives a stream per step, so a resumed run draws what an uninterrupted one would.
 * Normals use Box-Muller.
 */
export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static forTensor(seed: number, name: string): Rng {
    return Rng.derive(seed, name);
  }

  static derive(...parts: (string | number)[]): Rng {
    let h = 0x811c9dc5;
    const s = parts.join(":");
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return new Rng(h);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }

  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u = 1 - this.next(); // (0, 1]: log stays finite
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(a);
    return r * Math.cos(a);
  }
}

export function uniformTensor(
  seed: number,
  name: string,
  n: number,
  bound: number,
): Float32Array<ArrayBuffer> {
  const rng = Rng.forTensor(seed, name);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}

export function normalTensor(seed: number, name: string, n: number, std: number): Float32Array<ArrayBuffer> {
  const rng = Rng.forTensor(seed, name);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}
