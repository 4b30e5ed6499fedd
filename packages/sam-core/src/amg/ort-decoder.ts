/**
 * `AmgDecoder` over an ONNX decoder session: the batched throughput export (B prompts per run) or, as a
 * fallback, the public single-prompt export (one prompt per run). Both are fed the same prompts (one
 * foreground point plus the padding point the reference adds when there is no box) and both hand back
 * the low-res logits, so the generator's results do not depend on which one is used.
 *
 * A throughput export is by default rebuilt from its weights as the AMG split pair (see
 * builder/decoder/amg-split.ts): IoU predictions first, masks only for the prompts the generator asks
 * for, image-side work once per batch. The rebuilt pair is checked against the given export on a probe
 * batch at load time; if its weights cannot be imported (quantized or foreign graphs) or the probe
 * disagrees, the export runs as given.
 */
import type { SamEmbedding } from "../embedding/embedding.ts";
import { assertEmbeddingMatchesModel } from "../embedding/embedding.ts";
import { resizedSize } from "../image/preprocess.ts";
import { inspectOnnx } from "../inspect/inspect.ts";
import type { ModelInfo } from "../inspect/inspect.ts";
import type { ExternalDataFile, OrtBackend, RtSession, SessionOptions } from "../runtime/backend.ts";
import { float32Data } from "../runtime/backend.ts";
import type { AmgDecoder, DecodedBatch, ScoredBatch } from "./decoder.ts";
import { splitFromExport, type SplitSessions } from "./split-sessions.ts";
import { AmgInputError } from "./errors.ts";

export interface OrtAmgDecoderOptions {
  backend: OrtBackend;
  /** Decoder `.onnx` bytes: the throughput export, or the public export (then one prompt per run). */
  decoder: Uint8Array;
  externalData?: ExternalDataFile[];
  sessionOptions?: SessionOptions;
  /** Cap on prompts per run for the throughput export (default: no cap beyond pointsPerBatch). */
  maxBatch?: number;
  /** When set, embeddings from another encoder are refused. */
  modelId?: string;
  /**
   * Rebuild the export as the two-stage AMG pair (IoU first, masks on demand). Default: true for a
   * throughput export, false for the public export (which then runs one prompt per run as given).
   */
  split?: boolean;
}

export interface OrtAmgDecoder extends AmgDecoder {
  readonly kind: "throughput" | "public";
  readonly info: ModelInfo;
  /** Whether the two-stage rebuilt pair runs (`scoreBatch` present); else why not, or "not asked". */
  readonly split: { used: boolean; reason: string };
  release(): Promise<void>;
}

const PADDING_LABEL = -1;

export async function createOrtAmgDecoder(opts: OrtAmgDecoderOptions): Promise<OrtAmgDecoder> {
  const info = inspectOnnx(opts.decoder, "decoder");
  if (info.role !== "decoder" && info.role !== "decoder-throughput") {
    throw new AmgInputError(`automatic generation needs a SAM decoder; this model looks like: ${info.role} (${info.roleReason})`);
  }
  const kind = info.role === "decoder" ? "public" : "throughput";
  const sam = info.sam;
  if (!sam.embeddingShape || !sam.lowResSize) {
    throw new AmgInputError("the decoder does not fix the image_embeddings / mask_input shapes, so its geometry is unknown");
  }
  if (sam.numMasks !== undefined && sam.numMasks < 2) {
    throw new AmgInputError(
      `the decoder returns ${sam.numMasks} mask per prompt (a single-mask export); automatic generation needs all 4 (re-export without return_single_mask)`,
    );
  }
  const iouName = sam.decoderOutputs?.iouPredictions ?? "iou_predictions";
  const lowName = sam.decoderOutputs?.lowResMasks ?? "low_res_masks";
  const embeddingShape = sam.embeddingShape;
  const [lh, lw] = sam.lowResSize;
  const wantSplit = opts.split ?? kind === "throughput";
  const maxBatch = kind === "public" && !wantSplit ? 1 : (opts.maxBatch ?? 1 << 16);
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new AmgInputError(`maxBatch must be a positive integer, got ${maxBatch}`);
  const session: RtSession = await opts.backend.createSession(opts.decoder, {
    ...opts.sessionOptions,
    externalData: opts.externalData,
    label: opts.sessionOptions?.label ?? "decoder",
  });
  const t = opts.backend;
  let zeros = new Float32Array(0);

  async function decodeBatch(embedding: SamEmbedding, points: Float32Array, count: number): Promise<DecodedBatch> {
    assertEmbeddingMatchesModel(embedding, { modelId: opts.modelId, shape: embeddingShape, inputSize: sam.inputSize });
    if (count < 1 || count > maxBatch || points.length !== 2 * count) {
      throw new AmgInputError(`decodeBatch got ${points.length / 2} points for count ${count} (max ${maxBatch})`);
    }
    const coords = new Float32Array(count * 4);
    const labels = new Float32Array(count * 2);
    for (let i = 0; i < count; i++) {
      coords[4 * i] = points[2 * i]!;
      coords[4 * i + 1] = points[2 * i + 1]!;
      labels[2 * i] = 1;
      labels[2 * i + 1] = PADDING_LABEL;
    }
    if (zeros.length < count * lh * lw) zeros = new Float32Array(count * lh * lw);
    const feeds: Record<string, ReturnType<OrtBackend["tensor"]>> = {
      image_embeddings: t.tensor("float32", embedding.data, embeddingShape),
      point_coords: t.tensor("float32", coords, [count, 2, 2]),
      point_labels: t.tensor("float32", labels, [count, 2]),
      mask_input: t.tensor("float32", zeros.subarray(0, count * lh * lw), [count, 1, lh, lw]),
      has_mask_input: t.tensor("float32", zeros.subarray(0, count), [count]),
    };
    if (kind === "public") {
      // Only the low-res logits are used; the resized size keeps the graph's own upsampling cheap.
      const r = resizedSize({ height: embedding.originalSize[0], width: embedding.originalSize[1] }, embedding.inputSize);
      feeds["orig_im_size"] = t.tensor("float32", Float32Array.of(r.height, r.width), [2]);
    }
    const out = await session.run(feeds, [iouName, lowName]);
    const iou = float32Data(out[iouName]!, iouName);
    const low = float32Data(out[lowName]!, lowName);
    const numMasks = iou.length / count;
    return { numMasks, iouPredictions: iou, lowResMasks: low, lowResHeight: lh, lowResWidth: lw };
  }

  if (!wantSplit) return { kind, info, maxBatch, split: { used: false, reason: "not asked" }, decodeBatch, release: () => session.release() };
  let split: SplitSessions;
  try {
    split = await splitFromExport({
      backend: t,
      decoder: opts.decoder,
      externalData: opts.externalData,
      sessionOptions: opts.sessionOptions,
      embeddingShape,
      lowResSize: [lh, lw],
      reference: (data, points, count) => {
        const S = sam.inputSize ?? 16 * embeddingShape[3]!;
        const e: SamEmbedding = { data, shape: [...embeddingShape] as SamEmbedding["shape"], originalSize: [S, S], inputSize: S, modelId: "" };
        return decodeBatch(e, points, count);
      },
    });
  } catch (e) {
    if (kind === "public") {
      await session.release();
      throw e;
    }
    return { kind, info, maxBatch, split: { used: false, reason: (e as Error).message }, decodeBatch, release: () => session.release() };
  }
  await session.release();

  async function scoreBatch(embedding: SamEmbedding, points: Float32Array, count: number): Promise<ScoredBatch> {
    assertEmbeddingMatchesModel(embedding, { modelId: opts.modelId, shape: embeddingShape, inputSize: sam.inputSize });
    if (count < 1 || count > maxBatch || points.length !== 2 * count) {
      throw new AmgInputError(`scoreBatch got ${points.length / 2} points for count ${count} (max ${maxBatch})`);
    }
    return split.score(embedding.data, points, count);
  }
  async function decodeSplit(embedding: SamEmbedding, points: Float32Array, count: number): Promise<DecodedBatch> {
    const scored = await scoreBatch(embedding, points, count);
    const masks = await scored.masksOf(Array.from({ length: count }, (_, i) => i));
    return { numMasks: scored.numMasks, iouPredictions: scored.iouPredictions, ...masks };
  }
  return {
    kind,
    info,
    maxBatch,
    split: { used: true, reason: "rebuilt from the export's weights; probe batch equal" },
    decodeBatch: decodeSplit,
    scoreBatch,
    release: () => split.release(),
  };
}
