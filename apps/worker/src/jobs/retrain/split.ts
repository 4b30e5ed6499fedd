// The deterministic train / held-out split of a training snapshot, by image. An image's side depends only
// on (splitSeed, imageId), so it stays on the same side in every later round: a model is never evaluated
// on images an earlier round trained on (with the same seed and fraction).
import { createHash } from "node:crypto";

/** A number in [0, 1) from the image id and the seed. */
export function splitScore(splitSeed: number, imageId: string): number {
  return createHash("sha256").update(`${splitSeed}:${imageId}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The held-out image ids. Small sets still get both sides when they have two images or more: no
 * held-out image -> the lowest score is held out; no training image -> the highest score trains.
 */
export function heldOutImages(imageIds: readonly string[], splitSeed: number, fraction: number): Set<string> {
  const scored = [...new Set(imageIds)].map((id) => ({ id, s: splitScore(splitSeed, id) })).sort((a, b) => a.s - b.s || (a.id < b.id ? -1 : 1));
  const held = new Set(scored.filter((x) => x.s < fraction).map((x) => x.id));
  if (scored.length >= 2) {
    if (held.size === 0) held.add(scored[0]!.id);
    if (held.size === scored.length) held.delete(scored[scored.length - 1]!.id);
  }
  return held;
}
