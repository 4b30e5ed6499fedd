import type { BinaryMask } from "@data-engine/sam-core";
import type { MaskSample } from "../src/dataset.ts";
import { randn } from "./helpers.ts";

/** Masks of discs on the low-res grid L with random embeddings (enough to exercise the trainer). */
export function discSamples(
  images: number,
  perImage: number,
  L: number,
  embLen: number,
  seed = 0,
): MaskSample[] {
  const out: MaskSample[] = [];
  for (let i = 0; i < images; i++) {
    const embedding = randn(embLen, seed * 1000 + i);
    for (let j = 0; j < perImage; j++) {
      const cx = ((i * 7 + j * 13) % (L - 16)) + 8;
      const cy = ((i * 11 + j * 5) % (L - 16)) + 8;
      const r = 3 + ((i + j) % 5);
      const data = new Uint8Array(L * L);
      for (let y = 0; y < L; y++)
        for (let x = 0; x < L; x++) data[y * L + x] = (x - cx) ** 2 + (y - cy) ** 2 <= r * r ? 1 : 0;
      const mask: BinaryMask = { width: L, height: L, data };
      out.push({ imageId: `img${i}`, embedding, mask });
    }
  }
  return out;
}
