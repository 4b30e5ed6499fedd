// Full-resolution masks (decoded from stored RLEs) onto the work frame, by sampling each frame pixel's
// centre: exact when the frame is the original size, a nearest-neighbour preview otherwise.
import type { Frame } from "./frame.ts";

export function maskToFrame(full: Uint8Array, original: { width: number; height: number }, frame: Frame): Uint8Array {
  if (full.length !== original.width * original.height) {
    throw new RangeError(`mask has ${full.length} pixels, expected ${original.width}x${original.height}`);
  }
  if (frame.width === original.width && frame.height === original.height) return full.slice();
  const out = new Uint8Array(frame.width * frame.height);
  const cols = new Int32Array(frame.width);
  for (let x = 0; x < frame.width; x++) cols[x] = Math.min(original.width - 1, Math.floor((x + 0.5) / frame.sx));
  for (let y = 0; y < frame.height; y++) {
    const src = Math.min(original.height - 1, Math.floor((y + 0.5) / frame.sy)) * original.width;
    const row = y * frame.width;
    for (let x = 0; x < frame.width; x++) out[row + x] = full[src + cols[x]!]!;
  }
  return out;
}

export function countOnes(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
}
