// Shared inputs of the AMG decoder tests that run the builder's tiny SAM: a seeded embedding in its
// geometry, and spread-out single-point prompts in its input frame.
import { samConfig } from "../../src/builder/index.ts";
import { Rng } from "../../src/builder/random.ts";
import type { SamEmbedding } from "../../src/embedding/embedding.ts";

export const tiny = samConfig("tiny");
const s = tiny.decoder.embeddingSize;
const d = tiny.decoder.transformerDim;
/** The tiny decoder's input side (the model frame the points are in). */
export const S = tiny.decoder.inputSize;

/** A standard-normal embedding from `seed`, for a square image of the input side. */
export function randomEmbedding(seed: number): SamEmbedding {
  const rng = new Rng(seed);
  const data = new Float32Array(d * s * s);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { data, shape: [1, d, s, s], originalSize: [S, S], inputSize: S, modelId: "" };
}

/** `n` points `[x, y]` spread over the input frame (`shift` moves them along x). */
export function spreadPoints(n: number, shift = 0): Float32Array {
  const p = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    p[2 * i] = ((i * 37 + shift) % S) + 0.5;
    p[2 * i + 1] = ((i * 71 + 13) % S) + 0.25;
  }
  return p;
}
