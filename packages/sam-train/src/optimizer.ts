import { tf } from "./tf/backend.ts";

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/**
 * AdamW (decoupled weight decay, Loshchilov & Hutter) over named tfjs variables. Written out rather
 * than taken from tf.train so that its moments can be checkpointed and restored exactly. Decay
 * applies to matrices (rank >= 2) only, not to biases and norm scales.
 */
export class AdamW {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  t = 0;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly wd: number;

  constructor(
    private readonly params: Map<string, tf.Variable>,
    opts: AdamWOptions = {},
  ) {
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.wd = opts.weightDecay ?? 0;
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** One update; `lrScale` multiplies the learning rate per parameter (default 1 for all). */
  step(grads: Map<string, tf.Tensor>, baseLr: number, lrScale?: (name: string) => number): void {
    this.t++;
    const bc1 = 1 - this.b1 ** this.t;
    const bc2 = 1 - this.b2 ** this.t;
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      const lr = baseLr * (lrScale ? lrScale(name) : 1);
      tf.tidy(() => {
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const m1 = tf.add(tf.mul(m, this.b1), tf.mul(g, 1 - this.b1));
        const v1 = tf.add(tf.mul(v, this.b2), tf.mul(tf.square(g), 1 - this.b2));
        m.assign(m1);
        v.assign(v1);
        const update = tf.div(tf.div(m1, bc1), tf.add(tf.sqrt(tf.div(v1, bc2)), this.eps));
        let next = tf.sub(p, tf.mul(update, lr));
        if (this.wd > 0 && p.shape.length >= 2) next = tf.sub(next, tf.mul(p, lr * this.wd));
        p.assign(next);
      });
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

export interface LrSchedule {
  lr: number;
  warmupSteps?: number;
  /** "cosine" decays to `minLrRatio * lr` at the last step; "constant" keeps `lr` after warmup. */
  decay?: "cosine" | "constant";
  minLrRatio?: number;
}

export function learningRate(s: LrSchedule, step: number, total: number): number {
  const warm = s.warmupSteps ?? 0;
  if (step < warm) return (s.lr * (step + 1)) / warm;
  if ((s.decay ?? "cosine") === "constant") return s.lr;
  const span = Math.max(1, total - warm);
  const t = Math.min(1, (step - warm) / span);
  const min = (s.minLrRatio ?? 0.1) * s.lr;
  return min + 0.5 * (s.lr - min) * (1 + Math.cos(Math.PI * t));
}

/**
 * Guards an update: when the loss or the gradients' global norm is not finite, disposes the gradients
 * and throws `diverged(norm)` (the caller's error names its step and learning rate); otherwise scales
 * the gradients in place down to a global norm of `clip` (undefined or 0: no clipping). Returns the norm.
 */
export function checkAndClip(
  grads: Map<string, tf.Tensor>,
  loss: number,
  clip: number | undefined,
  diverged: (norm: number) => Error,
): number {
  const norm = Math.sqrt(
    tf.tidy(() => tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))).dataSync()[0]!,
  );
  if (!Number.isFinite(norm) || !Number.isFinite(loss)) {
    for (const g of grads.values()) g.dispose();
    throw diverged(norm);
  }
  if (clip && norm > clip) {
    for (const [n, g] of grads) {
      grads.set(n, tf.mul(g, clip / norm));
      g.dispose();
    }
  }
  return norm;
}
