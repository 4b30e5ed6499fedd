import * as ort from "onnxruntime-node";
import type { DecoderConfig } from "../../src/builder/config.ts";
import { Rng } from "../../src/builder/random.ts";

export type Feeds = Record<string, ort.Tensor>;

export async function session(model: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

export async function run(
  model: Uint8Array | ort.InferenceSession,
  feeds: Feeds,
): Promise<Record<string, ort.Tensor>> {
  const s = model instanceof Uint8Array ? await session(model) : model;
  return s.run(feeds);
}

export function f32(data: ArrayLike<number>, dims: number[]): ort.Tensor {
  return new ort.Tensor("float32", Float32Array.from(data), dims);
}

export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal() * scale);
}

export interface Prompt {
  coords: number[][];
  labels: number[];
  mask?: Float32Array;
}

/** Inputs of the public decoder for one image embedding and one prompt. */
export function publicFeeds(
  c: DecoderConfig,
  embedding: Float32Array,
  p: Prompt,
  origSize: [number, number],
): Feeds {
  const s = c.embeddingSize;
  return {
    image_embeddings: f32(embedding, [1, c.transformerDim, s, s]),
    point_coords: f32(p.coords.flat(), [1, p.coords.length, 2]),
    point_labels: f32(p.labels, [1, p.labels.length]),
    mask_input: f32(p.mask ?? new Float32Array(16 * s * s), [1, 1, 4 * s, 4 * s]),
    has_mask_input: f32([p.mask ? 1 : 0], [1]),
    orig_im_size: f32(origSize, [2]),
  };
}

/** Inputs of the throughput decoder: B prompts with the same number of points. */
export function throughputFeeds(c: DecoderConfig, embedding: Float32Array, ps: Prompt[]): Feeds {
  const s = c.embeddingSize;
  const n = ps[0]!.coords.length;
  const masks = new Float32Array(ps.length * 16 * s * s);
  ps.forEach((p, i) => p.mask && masks.set(p.mask, i * 16 * s * s));
  return {
    image_embeddings: f32(embedding, [1, c.transformerDim, s, s]),
    point_coords: f32(
      ps.flatMap((p) => p.coords.flat()),
      [ps.length, n, 2],
    ),
    point_labels: f32(
      ps.flatMap((p) => p.labels),
      [ps.length, n],
    ),
    mask_input: f32(masks, [ps.length, 1, 4 * s, 4 * s]),
    has_mask_input: f32(
      ps.map((p) => (p.mask ? 1 : 0)),
      [ps.length],
    ),
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export const data = (t: ort.Tensor | undefined): Float32Array => {
  if (!t) throw new Error("missing output");
  return t.data as Float32Array;
};
