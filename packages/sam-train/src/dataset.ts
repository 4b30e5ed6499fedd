import type { BinaryMask, DecoderConfig } from "@data-engine/sam-core";
import { EmptyDatasetError, InvalidSampleError, MissingEmbeddingError } from "./errors.ts";
import { foregroundCount } from "./simulate.ts";

/**
 * One accepted mask with its image's embedding: what the trainer and the evaluator consume. The
 * worker adapts database rows to this (see the README).
 */
export interface MaskSample {
  /** Masks of the same image share one embedding; the id groups them into one batch. */
  imageId: string;
  /** The image embedding [1, C, s, s] (float32, as the encoder wrote it); null/undefined if missing. */
  embedding: Float32Array | null | undefined;
  /** Shape of `embedding`, checked against the decoder when given. */
  embShape?: readonly number[];
  /**
   * The object, square, in the model frame (image resized so its longest side is the input size, then
   * zero-padded): at the low-res grid (4 x embedding side, e.g. 256) or at the input size (e.g. 1024).
   * `maskToModelFrame` produces it from a mask at the original image size.
   */
  mask: BinaryMask;
}

export interface ImageGroup {
  imageId: string;
  embedding: Float32Array;
  masks: BinaryMask[];
}

/** Checks every sample against the decoder and groups masks by image (order of first appearance). */
export function groupSamples(
  samples: readonly MaskSample[],
  c: DecoderConfig,
  minMasks: number,
): ImageGroup[] {
  if (samples.length === 0)
    throw new EmptyDatasetError("the dataset is empty: no masks to train or evaluate on");
  if (samples.length < minMasks) {
    throw new EmptyDatasetError(
      `the dataset is too small: ${samples.length} mask(s), at least ${minMasks} needed (option minMasks)`,
    );
  }
  const s = c.embeddingSize;
  const need = c.transformerDim * s * s;
  const missing = new Set<string>();
  const groups = new Map<string, ImageGroup>();
  samples.forEach((smp, i) => {
    if (!smp.embedding) {
      missing.add(smp.imageId);
      return;
    }
    if (
      smp.embedding.length !== need ||
      (smp.embShape && smp.embShape.join(",") !== `1,${c.transformerDim},${s},${s}`)
    ) {
      throw new MissingEmbeddingError(
        `image ${smp.imageId}: embedding of shape [${smp.embShape ?? smp.embedding.length}] does not fit the decoder, which needs [1,${c.transformerDim},${s},${s}] (was it made by another encoder?)`,
      );
    }
    const m = smp.mask;
    if (
      m.width !== m.height ||
      (m.width !== 4 * s && m.width !== c.inputSize) ||
      m.data.length !== m.width * m.height
    ) {
      throw new InvalidSampleError(
        `mask #${i} (image ${smp.imageId}) is ${m.width}x${m.height}; expected ${4 * s}x${4 * s} (low-res) or ${c.inputSize}x${c.inputSize} (input frame)`,
      );
    }
    if (foregroundCount(m) === 0) throw new InvalidSampleError(`mask #${i} (image ${smp.imageId}) is empty`);
    let g = groups.get(smp.imageId);
    if (!g) {
      g = { imageId: smp.imageId, embedding: smp.embedding, masks: [] };
      groups.set(smp.imageId, g);
    } else if (g.masks[0]!.width !== m.width) {
      throw new InvalidSampleError(
        `image ${smp.imageId} mixes mask sizes ${g.masks[0]!.width} and ${m.width}`,
      );
    }
    g.masks.push(m);
  });
  if (missing.size > 0) {
    const ids = [...missing];
    throw new MissingEmbeddingError(
      `${ids.length} image(s) have masks but no embedding (compute embeddings first): ${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", ..." : ""}`,
    );
  }
  return [...groups.values()];
}

/**
 * A mask at the original image size -> the model frame: resize so the longest side is `inputSize`
 * (each side `floor(side * scale + 0.5)`), pad bottom/right, then, for `grid: "low"`, down to the
 * low-res grid by area (a cell is set when at least half of it is covered).
 */
export function maskToModelFrame(
  mask: BinaryMask,
  c: DecoderConfig,
  grid: "low" | "input" = "low",
): BinaryMask {
  const S = c.inputSize;
  const scale = S / Math.max(mask.height, mask.width);
  const nh = Math.floor(mask.height * scale + 0.5);
  const nw = Math.floor(mask.width * scale + 0.5);
  const full = new Uint8Array(S * S);
  for (let y = 0; y < nh; y++) {
    const sy = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / nh));
    for (let x = 0; x < nw; x++) {
      const sx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / nw));
      full[y * S + x] = mask.data[sy * mask.width + sx] ? 1 : 0;
    }
  }
  if (grid === "input") return { height: S, width: S, data: full };
  const L = 4 * c.embeddingSize;
  const f = S / L;
  const out = new Uint8Array(L * L);
  for (let Y = 0; Y < L; Y++) {
    for (let X = 0; X < L; X++) {
      let n = 0;
      for (let y = Y * f; y < (Y + 1) * f; y++)
        for (let x = X * f; x < (X + 1) * f; x++) n += full[y * S + x]!;
      out[Y * L + X] = 2 * n >= f * f ? 1 : 0;
    }
  }
  return { height: L, width: L, data: out };
}
