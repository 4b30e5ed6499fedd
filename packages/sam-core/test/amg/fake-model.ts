// A deterministic stand-in for a SAM decoder: blob-shaped logits around each prompt, with rings (so
// some masks have islands and holes), IoU predictions from a hash of the prompt. Lets the pipeline be
// tested without a model and with many masks passing the filters.
import type { AmgDecoder, DecodedBatch, EncodeCrop } from "../../src/amg/decoder.ts";
import type { SamEmbedding } from "../../src/embedding/embedding.ts";
import type { Box } from "../../src/mask/types.ts";

export const FAKE_INPUT_SIZE = 128;
export const FAKE_EMBED_SIDE = 8;
/** Shapes are drawn in units of a 64-wide low-res frame, whatever LOW is. */
const U = 64 / (FAKE_EMBED_SIDE * 4);
const LOW = FAKE_EMBED_SIDE * 4;

export function fakeEmbedding(height: number, width: number, tag = 0): SamEmbedding {
  const data = new Float32Array(8 * FAKE_EMBED_SIDE * FAKE_EMBED_SIDE).fill(tag);
  return { data, shape: [1, 8, FAKE_EMBED_SIDE, FAKE_EMBED_SIDE], originalSize: [height, width], inputSize: FAKE_INPUT_SIZE, modelId: "fake" };
}

/** Encodes a crop as an embedding tagged with its position (so crops decode differently). */
export function fakeEncodeCrop(calls: Box[] = []): EncodeCrop {
  return async (box) => {
    calls.push(box);
    return fakeEmbedding(box[3] - box[1], box[2] - box[0], (box[0] * 7 + box[1] * 13) % 17);
  };
}

function hash01(a: number, b: number, c: number): number {
  let h = Math.imul(Math.round(a * 1000) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(Math.round(b * 1000) + 0x632be59b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ (c * 0x27d4eb2f), 0x165667b1);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Decodes one prompt `[x, y]` (input frame) into 4 masks of low-res logits and 4 IoU predictions. */
export function fakeDecodeOne(embedding: SamEmbedding, x: number, y: number, iou: Float32Array, low: Float32Array): void {
  const tag = embedding.data[0]!;
  const px = (x * LOW) / embedding.inputSize;
  const py = (y * LOW) / embedding.inputSize;
  for (let t = 0; t < 4; t++) {
    iou[t] = 0.6 + 0.4 * hash01(x, y, t + tag * 5);
    const radius = 2 + 10 * hash01(y, x, t + 11 + tag);
    const ring = hash01(x + 1, y + 2, t) < 0.4 ? 1.6 : 0;
    const sharp = 0.3 + 3 * hash01(x + 3, y + 4, t);
    const base = t * LOW * LOW;
    for (let v = 0; v < LOW; v++) {
      for (let u = 0; u < LOW; u++) {
        const d = U * Math.hypot(u - px, (v - py) * (1 + 0.2 * t));
        low[base + v * LOW + u] = sharp * (radius - d) + ring * Math.cos(d * 1.7) + 0.3 * Math.sin(U * (u * 0.9 + v * 0.4));
      }
    }
  }
}

export function fakeDecoder(maxBatch: number, log: number[] = []): AmgDecoder {
  return {
    maxBatch,
    async decodeBatch(embedding, points, count): Promise<DecodedBatch> {
      log.push(count);
      if (count > maxBatch) throw new Error(`batch of ${count} > ${maxBatch}`);
      const iou = new Float32Array(count * 4);
      const low = new Float32Array(count * 4 * LOW * LOW);
      for (let i = 0; i < count; i++) {
        fakeDecodeOne(embedding, points[2 * i]!, points[2 * i + 1]!, iou.subarray(i * 4, i * 4 + 4), low.subarray(i * 4 * LOW * LOW));
      }
      return { numMasks: 4, iouPredictions: iou, lowResMasks: low, lowResHeight: LOW, lowResWidth: LOW };
    },
  };
}
