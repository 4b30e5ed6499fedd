/**
 * Deterministic weights. The generator is mulberry32 (a 32-bit state, one multiply-xorshift per draw,
 * Tommy Ettinger's public-domain design), seeded per tensor from FNV-1a of `${seed}:${name}` so each
 * tensor's values depend only on the seed and its name, not on build order. Normals use Box-Muller.
 */
export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static forTensor(seed: number, name: string): Rng {
    let h = 0x811c9dc5;
    const s = `${seed}:${name}`;
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
