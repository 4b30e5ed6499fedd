import type { DecoderConfig, OrtBackend } from "@data-engine/sam-core";
import { groupSamples, type MaskSample } from "../dataset.ts";
import { sceneSamples, type SceneSetOptions } from "./eval-starter.ts";
import { cellSegments, type CellSegments } from "./grouping-loss.ts";

/**
 * How well an embedding groups a scene's segments without any decoder: per object, the cells whose
 * cosine with the object's most central valid cell exceeds `margin`, scored by IoU against the object's
 * cells (majority labels); the mean over objects with a valid cell. A quick probe of an encoder.
 */
export function cellGroupingIoU(
  embedding: Float32Array,
  channels: number,
  seg: CellSegments,
  margin = 0.5,
): number[] {
  const n = seg.side * seg.side;
  const unit = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += embedding[c * n + i]! ** 2;
    const inv = 1 / Math.sqrt(s + 1e-12);
    for (let c = 0; c < channels; c++) unit[i * channels + c] = embedding[c * n + i]! * inv;
  }
  const ious: number[] = [];
  const segments = Math.max(...seg.label);
  for (let obj = 1; obj <= segments; obj++) {
    let cx = 0;
    let cy = 0;
    let count = 0;
    for (let i = 0; i < n; i++)
      if (seg.label[i] === obj) {
        cx += i % seg.side;
        cy += Math.floor(i / seg.side);
        count++;
      }
    if (count === 0) continue;
    cx /= count;
    cy /= count;
    let q = -1;
    let best = Infinity;
    for (let i = 0; i < n; i++) {
      if (seg.label[i] !== obj || !seg.valid[i]) continue;
      const d = ((i % seg.side) - cx) ** 2 + (Math.floor(i / seg.side) - cy) ** 2;
      if (d < best) [best, q] = [d, i];
    }
    if (q < 0) continue;
    let inter = 0;
    let union = 0;
    for (let i = 0; i < n; i++) {
      let cos = 0;
      for (let c = 0; c < channels; c++) cos += unit[q * channels + c]! * unit[i * channels + c]!;
      const pred = cos > margin;
      const truth = seg.label[i] === obj;
      if (pred && truth) inter++;
      if (pred || truth) union++;
    }
    ious.push(union ? inter / union : 0);
  }
  return ious;
}

/**
 * Mean cell grouping IoU over already encoded scenes (sceneSamples with masks at the input size, checked
 * and grouped by image with groupSamples): how well an encoder's embedding alone, with no decoder,
 * tells a scene's objects apart. `c` gives the embedding's shape.
 */
export function samplesGroupingIoU(samples: MaskSample[], c: DecoderConfig): number {
  const ious = groupSamples(samples, c, 1).flatMap((g) =>
    cellGroupingIoU(g.embedding, c.transformerDim, cellSegments(g.masks, g.masks[0]!.width, c.embeddingSize)),
  );
  return ious.length ? ious.reduce((a, b) => a + b, 0) / ious.length : 0;
}

/** The same for an ONNX encoder (normalized input form) over procedural scenes. */
export async function groupingProbe(
  backend: OrtBackend,
  encoderModel: Uint8Array,
  c: DecoderConfig,
  o: Omit<SceneSetOptions, "grid" | "lowSide" | "size">,
): Promise<number> {
  // Masks at the input size ("input" grid: lowSide is not used).
  const samples = await sceneSamples(backend, encoderModel, {
    ...o,
    size: c.inputSize,
    grid: "input",
    lowSide: c.inputSize,
  });
  return samplesGroupingIoU(samples, c);
}
