/**
 * `AmgDecoder` over an ONNX decoder session: the batched throughput export (B prompts per run) or, as a
 * fallback, the public single-prompt export (one prompt per run). Both are fed the same prompts (one
 * foreground point plus the padding point the reference adds when there is no box) and both hand back
 * the low-res logits, so the generator's results do not depend on which one is used.
 *
 * A throughput export is by default rebuilt from its weights as the low-rank AMG decoder (see
 * builder/decoder/amg-lowrank.ts): image-only projections once per embedding, the per-prompt image
 * update kept as low-rank factors, IoU predictions first and masks only for the prompts the generator
 * asks for. If that rebuild fails or disagrees with the export on the probe batch, the two-stage pair
 * (builder/decoder/amg-split.ts: image-side work once per batch) is tried the same way; if its weights
 * cannot be imported (quantized or foreign graphs) or the probe disagrees, the export runs as given.
 */
import type { SamEmbedding } from "../embedding/embedding.ts";
import { assertEmbeddingMatchesModel } from "../embedding/embedding.ts";
import { resizedSize } from "../image/preprocess.ts";
import { inspectOnnx } from "../inspect/inspect.ts";
import type { ModelInfo } from "../inspect/inspect.ts";
import type { ExternalDataFile, OrtBackend, RtSession, SessionOptions } from "../runtime/backend.ts";
import { float32Data } from "../runtime/backend.ts";
import type { AmgDecoder, DecodedBatch, ScoredBatch } from "./decoder.ts";
import { lowRankFromExport, type LowRankRunner } from "./lowrank-sessions.ts";
import { rebuildSource, singlePointPrompts, splitFromExport, type SplitFromExportOptions, type SplitSessions } from "./split-sessions.ts";
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
  /** With `split`, try the low-rank form first (default true); false keeps the two-stage pair. */
  lowRank?: boolean;
  /**
   * Where the low-rank form's graphs run: by default the backend's sessions in this thread; in Node,
   * `lowRankWorkers()` (node entry) runs each batch's prompts split across worker threads.
   */
  lowRankRunner?: LowRankRunner;
}

export interface OrtAmgDecoder extends AmgDecoder {
  readonly kind: "throughput" | "public";
  readonly info: ModelInfo;
  /**
   * Whether a two-stage rebuild runs (`scoreBatch` present) and which (`form`); else why not, or "not
   * asked". When the low-rank form was refused and the pair runs, `reason` says why.
   */
  readonly split: { used: boolean; reason: string; form?: "low-rank" | "pair" };
  release(): Promise<void>;
}

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

  function checkCall(what: string, embedding: SamEmbedding, points: Float32Array, count: number): void {
    assertEmbeddingMatchesModel(embedding, { modelId: opts.modelId, shape: embeddingShape, inputSize: sam.inputSize });
    if (count < 1 || count > maxBatch || points.length !== 2 * count) {
      throw new AmgInputError(`${what} got ${points.length / 2} points for count ${count} (max ${maxBatch})`);
    }
  }

  async function decodeBatch(embedding: SamEmbedding, points: Float32Array, count: number): Promise<DecodedBatch> {
    checkCall("decodeBatch", embedding, points, count);
    const { coords, labels } = singlePointPrompts(points, count);
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
  const rebuild: SplitFromExportOptions = {
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
  };
  let split: SplitSessions;
  let splitInfo: OrtAmgDecoder["split"];
  try {
    const source = rebuildSource(rebuild);
    try {
      if (opts.lowRank === false) throw new Error("not asked");
      split = await lowRankFromExport(rebuild, source, opts.lowRankRunner);
      splitInfo = { used: true, form: "low-rank", reason: "rebuilt from the export's weights in low-rank form; probe batch equal" };
    } catch (e) {
      // Same weights, the plainer rebuild: it covers what the low-rank form does not (e.g. other depths).
      split = await splitFromExport(rebuild, source);
      const why = (e as Error).message;
      splitInfo = { used: true, form: "pair", reason: `rebuilt from the export's weights as the two-stage pair; probe batch equal (low-rank form: ${why})` };
    }
  } catch (e) {
    if (kind === "public") {
      await session.release();
      throw e;
    }
    return { kind, info, maxBatch, split: { used: false, reason: (e as Error).message }, decodeBatch, release: () => session.release() };
  }
  await session.release();

  async function scoreBatch(embedding: SamEmbedding, points: Float32Array, count: number): Promise<ScoredBatch> {
    checkCall("scoreBatch", embedding, points, count);
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
    split: splitInfo,
    decodeBatch: decodeSplit,
    scoreBatch,
    release: () => split.release(),
  };
}
