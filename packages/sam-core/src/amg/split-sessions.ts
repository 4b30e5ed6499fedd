/**
 * The two sessions of the AMG split decoder (builder/decoder/amg-split.ts), rebuilt from a decoder
 * export's weights: `score` runs the tokens graph on a batch (IoU predictions, hypernetwork outputs and
 * the transformer's keys); `masksOf` runs the masks graph on the keys of only the prompts asked for.
 */
import type { DecoderConfig } from "../builder/config.ts";
import { buildAmgSplitDecoder } from "../builder/decoder/amg-split.ts";
import { importDecoderWeights } from "../builder/decoder/import.ts";
import { META } from "../builder/metadata.ts";
import type { WeightMap } from "../builder/weights.ts";
import type { ExternalDataFile, OrtBackend, RtSession, RtTensor, SessionOptions } from "../runtime/backend.ts";
import { float32Data } from "../runtime/backend.ts";
import type { DecodedBatch, LowResMasks, ScoredBatch } from "./decoder.ts";

export interface SplitSessions {
  score(image: Float32Array, points: Float32Array, count: number): Promise<ScoredBatch>;
  release(): Promise<void>;
}

export interface SplitFromExportOptions {
  backend: OrtBackend;
  decoder: Uint8Array;
  externalData?: ExternalDataFile[];
  sessionOptions?: SessionOptions;
  embeddingShape: readonly number[];
  lowResSize: readonly [number, number];
  /** The export as given, one prompt per call on an embedding's data: the probe compares the pair with it. */
  reference: (embedding: Float32Array, points: Float32Array, count: number) => Promise<DecodedBatch>;
}

const PADDING_LABEL = -1;

/** One foreground point per prompt plus the padding point the reference adds when there is no box. */
export function singlePointPrompts(points: Float32Array, count: number): { coords: Float32Array; labels: Float32Array } {
  const coords = new Float32Array(count * 4);
  const labels = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    coords[4 * i] = points[2 * i]!;
    coords[4 * i + 1] = points[2 * i + 1]!;
    labels[2 * i] = 1;
    labels[2 * i + 1] = PADDING_LABEL;
  }
  return { coords, labels };
}

export interface RebuildSource {
  config: DecoderConfig;
  weights: WeightMap;
  gelu: "erf" | "tanh";
}

/** The export's architecture and weights, for a rebuild; throws with the reason when they cannot be used. */
export function rebuildSource(o: Pick<SplitFromExportOptions, "decoder" | "externalData">): RebuildSource {
  const files = new Map((o.externalData ?? []).map((f) => [f.path, f.data]));
  const imported = importDecoderWeights(o.decoder, {
    externalData: (location, offset, length) => {
      const f = files.get(location);
      if (!f) throw new Error(`external data file ${location} not given`);
      return f.subarray(offset, offset + length);
    },
  });
  // Dequantized weights would not reproduce the quantized graph's integer arithmetic.
  if (imported.quantized) throw new Error("quantized export: runs as given");
  let gelu: "erf" | "tanh" = "erf";
  try {
    const meta = JSON.parse(imported.metadata[META.config] ?? "{}") as { gelu?: string };
    if (meta.gelu === "tanh") gelu = "tanh";
  } catch {
    // Official exports carry no metadata; torch's default GELU is the erf form.
  }
  return { config: imported.config, weights: imported.weights, gelu };
}

/**
 * The rows `[per]` of the given prompts out of `[count, per]`: a view when they are consecutive (the
 * array itself when all are chosen in order), else a copy.
 */
function pickPrompts(src: Float32Array, per: number, prompts: readonly number[], count: number): Float32Array {
  const first = prompts[0]!;
  if (prompts.every((p, i) => p === first + i)) {
    return prompts.length === count ? src : src.subarray(first * per, (first + prompts.length) * per);
  }
  const dst = new Float32Array(prompts.length * per);
  prompts.forEach((p, i) => dst.set(src.subarray(p * per, (p + 1) * per), i * per));
  return dst;
}

/**
 * The masks graph's logits for the chosen prompts (none asked: no run); `feeds` gets their count and
 * `pick`, which takes the chosen prompts' rows out of a per-prompt output of the tokens graph.
 */
export async function masksOfPrompts(
  masks: RtSession,
  lowResSize: readonly [number, number],
  prompts: readonly number[],
  count: number,
  feeds: (n: number, pick: (src: Float32Array, per: number) => Float32Array) => Record<string, RtTensor>,
): Promise<LowResMasks> {
  const [lowResHeight, lowResWidth] = lowResSize;
  if (prompts.length === 0) return { lowResMasks: new Float32Array(0), lowResHeight, lowResWidth };
  const r = await masks.run(feeds(prompts.length, (src, per) => pickPrompts(src, per, prompts, count)), ["low_res_masks"]);
  return { lowResMasks: float32Data(r["low_res_masks"]!, "low_res_masks"), lowResHeight, lowResWidth };
}

/** Rebuilds the pair, opens its sessions and checks it on a probe batch; throws with the reason when it cannot. */
export async function splitFromExport(o: SplitFromExportOptions, source: RebuildSource = rebuildSource(o)): Promise<SplitSessions> {
  const { config, weights, gelu } = source;
  const pair = buildAmgSplitDecoder(config, weights, { gelu });
  const [tokens, masks] = await Promise.all([
    o.backend.createSession(pair.tokens, { ...o.sessionOptions, label: "decoder (AMG tokens)" }),
    o.backend.createSession(pair.masks, { ...o.sessionOptions, label: "decoder (AMG masks)" }),
  ]);
  const t = o.backend;
  const shape = [...o.embeddingShape];

  const split: SplitSessions = {
    async score(image, points, count) {
      const { coords, labels } = singlePointPrompts(points, count);
      const out = await tokens.run(
        {
          image_embeddings: t.tensor("float32", image, shape),
          point_coords: t.tensor("float32", coords, [count, 2, 2]),
          point_labels: t.tensor("float32", labels, [count, 2]),
        },
        ["iou_predictions", "hyper_in", "keys"],
      );
      const iou = float32Data(out["iou_predictions"]!, "iou_predictions");
      const hyper = float32Data(out["hyper_in"]!, "hyper_in");
      const keys = float32Data(out["keys"]!, "keys");
      const numMasks = iou.length / count;
      const hyperPer = hyper.length / count;
      const keysPer = keys.length / count;
      return {
        numMasks,
        iouPredictions: iou,
        // Only the chosen prompts' keys go to the masks graph.
        masksOf: (prompts) =>
          masksOfPrompts(masks, o.lowResSize, prompts, count, (n, pick) => ({
            keys: t.tensor("float32", pick(keys, keysPer), [n, keysPer / shape[1]!, shape[1]!]),
            hyper_in: t.tensor("float32", pick(hyper, hyperPer), [n, numMasks, hyperPer / numMasks]),
          })),
      };
    },
    release: async () => {
      await Promise.all([tokens.release(), masks.release()]);
    },
  };

  return probed(split, o);
}

/** The sessions once the probe passes; released, and the probe's error thrown, when it does not. */
export async function probed(split: SplitSessions, o: SplitFromExportOptions): Promise<SplitSessions> {
  try {
    await probe(split, o, [...o.embeddingShape]);
  } catch (e) {
    await split.release();
    throw e;
  }
  return split;
}

/**
 * Two prompts on a fixed pseudo-random embedding through both the export (one per call) and the pair:
 * IoU predictions and logits must agree to float rounding, else the rebuild missed something.
 */
async function probe(split: SplitSessions, o: SplitFromExportOptions, shape: number[]): Promise<void> {
  const n = shape.reduce((a, b) => a * b, 1);
  const image = new Float32Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    image[i] = (x / 2 ** 32) * 2 - 1;
  }
  const side = 16 * shape[3]!; // about the encoder input side; the points only need to differ
  const points = Float32Array.of(0.3 * side, 0.6 * side, 0.8 * side, 0.2 * side);
  const scored = await split.score(image, points, 2);
  const masks = await scored.masksOf([0, 1]);
  const m = scored.numMasks;
  const plane = o.lowResSize[0] * o.lowResSize[1];
  for (let i = 0; i < 2; i++) {
    const ref = await o.reference(image, points.subarray(2 * i, 2 * i + 2), 1);
    if (ref.numMasks !== m) throw new Error(`rebuilt pair gives ${m} masks per prompt, the export ${ref.numMasks}`);
    for (let k = 0; k < m; k++) {
      const d = Math.abs(ref.iouPredictions[k]! - scored.iouPredictions[i * m + k]!);
      if (!(d <= 1e-4)) throw new Error(`rebuilt pair's IoU prediction differs from the export's by ${d}`);
    }
    let worst = 0;
    for (let j = 0; j < m * plane; j++) worst = Math.max(worst, Math.abs(ref.lowResMasks[j]! - masks.lowResMasks[i * m * plane + j]!));
    if (!(worst <= 1e-3)) throw new Error(`rebuilt pair's mask logits differ from the export's by ${worst}`);
  }
}
