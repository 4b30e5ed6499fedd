/**
 * Automatic mask generation ("segment everything"), with the semantics of the reference
 * `SamAutomaticMaskGenerator`: same prompts, filters, filter order, NMS tie-breaking and output order.
 *
 * What differs is only how the work is done:
 * - prompts are decoded a whole batch per model run (when the decoder takes batches);
 * - the predicted-IoU filter runs on the batch output before any full-resolution work;
 * - upscaled values are computed only where bounds from the low-res logits cannot decide a threshold
 *   (see mask-upscaler.ts); the stability score comes first, then the box (all NMS needs);
 * - a candidate's mask (RLE, area) is built only if it survives the per-crop NMS: until then its
 *   low-res logits are kept, within a memory budget; past the budget only its prompt is kept and the
 *   survivors' logits are decoded again after NMS; no full-resolution mask is ever held.
 */
import type { SamEmbedding } from "../embedding/embedding.ts";
import { nms } from "../mask/boxes.ts";
import type { Box } from "../mask/types.ts";
import type { Candidate } from "./candidate.ts";
import { isBoxNearCropEdge } from "./crop-edge.ts";
import { assertCropsUsable, generateCropBoxes } from "./crop-boxes.ts";
import type { AmgDecoder, DecodedBatch, EncodeCrop } from "./decoder.ts";
import { AmgAbortedError, AmgInputError } from "./errors.ts";
import { MaskUpscaler } from "./mask-upscaler.ts";
import type { CapturedLogits } from "./mask-upscaler.ts";
import type { AmgOptions, ResolvedAmgOptions } from "./options.ts";
import { resolveAmgOptions } from "./options.ts";
import type { AmgProgress, AmgResult, AmgStats } from "./records.ts";
import { toRecords } from "./to-records.ts";
import { postprocessSmallRegions } from "./small-regions.ts";
import { resizedSize } from "../image/preprocess.ts";

export interface GenerateMasksInput {
  /** Size of the original image. */
  height: number;
  width: number;
  decoder: AmgDecoder;
  /** Encodes crops; needed for crop layers, and for the full image when no `embedding` is given. */
  encodeCrop?: EncodeCrop;
  /** A stored embedding of the full image, used for crop layer 0 instead of encoding it again. */
  embedding?: SamEmbedding;
  onProgress?: (progress: AmgProgress) => void;
  signal?: AbortSignal;
  /**
   * Bytes of low-res logits kept per crop for candidates awaiting NMS (default 128 MiB). Past it a
   * candidate keeps only its prompt and is decoded again if it survives. Exposed for tests and tuning.
   */
  keptLogitsBytes?: number;
}

const f32 = Math.fround;
const now = () => performance.now();

function checkInput(input: GenerateMasksInput, opts: ResolvedAmgOptions): void {
  if (input === null || typeof input !== "object") throw new AmgInputError("generateMasks needs an input object");
  const { height, width, decoder } = input;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new AmgInputError(`image size must be positive integers, got ${String(width)}x${String(height)}`);
  }
  if (!decoder || typeof decoder.decodeBatch !== "function") throw new AmgInputError("a decoder with decodeBatch is required");
  if (!Number.isInteger(decoder.maxBatch) || decoder.maxBatch < 1) {
    throw new AmgInputError(`decoder.maxBatch must be a positive integer, got ${String(decoder.maxBatch)}`);
  }
  if (!input.embedding && !input.encodeCrop) {
    throw new AmgInputError("give the full-image embedding or an encodeCrop function (or both)");
  }
  if (opts.cropNLayers > 0 && !input.encodeCrop) {
    throw new AmgInputError(`cropNLayers ${opts.cropNLayers} needs an encodeCrop function to encode the crops`);
  }
  if (input.embedding) checkEmbedding(input.embedding, height, width, "the given full-image embedding");
}

function checkEmbedding(e: SamEmbedding, height: number, width: number, what: string): void {
  if (!e || !(e.data instanceof Float32Array) || !Array.isArray(e.shape) || e.shape.length !== 4) {
    throw new AmgInputError(`${what} is not an embedding ([1, C, h, w] float32 data with its shape)`);
  }
  const [oh, ow] = e.originalSize ?? [];
  if (oh !== height || ow !== width) {
    throw new AmgInputError(`${what} was computed for a ${String(ow)}x${String(oh)} image, but the region is ${width}x${height}`);
  }
  if (!Number.isInteger(e.inputSize) || e.inputSize < 1) {
    throw new AmgInputError(`${what} has no valid inputSize (got ${String(e.inputSize)})`);
  }
  if (e.data.length !== e.shape.reduce((a, b) => a * b, 1)) {
    throw new AmgInputError(`${what} has ${e.data.length} values but shape [${e.shape.join(", ")}]`);
  }
}

/**
 * Low-res logits kept per crop for candidates whose mask is built after NMS. A noise-like mask of a
 * 1024-input model keeps ~175 KB (its RLE would take several times that). Beyond the budget a candidate
 * keeps only its prompt: building a noise-like mask at once was the largest post-processing cost (bench section 2), while
 * most such candidates never survive NMS, and decoding a survivor again costs one prompt of a batch.
 */
const PENDING_BYTES = 128 * 2 ** 20;

/** A candidate before NMS: its mask still as low-res `logits`, or only the prompt to decode again. */
interface Pending extends Omit<Candidate, "rle" | "area"> {
  logits?: CapturedLogits;
  /** Past the logits budget: the prompt in the model frame and the mask token to decode again. */
  redecode?: { x: number; y: number; token: number };
}

/** Builds a surviving candidate's mask from its kept logits (same values as building it at once). */
function finish(c: Pending, upscaler: MaskUpscaler): Candidate {
  const { logits, redecode: _redecode, ...rest } = c;
  upscaler.loadCaptured(logits!);
  const mask = upscaler.materialize();
  return { ...rest, rle: mask.rle, area: mask.area };
}

/**
 * Decodes the prompts of NMS survivors that kept no logits again (batched, one row per distinct prompt)
 * and builds their masks. The box NMS saw came from the first decode; the output box is the rebuilt
 * mask's, so box, area and segmentation always agree.
 */
async function redecodeSurvivors(
  survivors: Pending[],
  decoder: AmgDecoder,
  embedding: SamEmbedding,
  upscaler: MaskUpscaler,
  signal: AbortSignal | undefined,
): Promise<{ rebuilt: Map<Pending, Candidate>; decodeMs: number }> {
  const out = new Map<Pending, Candidate>();
  let decodeMs = 0;
  const byPrompt = new Map<string, Pending[]>();
  for (const c of survivors) {
    const key = `${c.redecode!.x},${c.redecode!.y}`;
    const list = byPrompt.get(key);
    if (list) list.push(c);
    else byPrompt.set(key, [c]);
  }
  const groups = [...byPrompt.values()];
  for (let s = 0; s < groups.length; s += decoder.maxBatch) {
    checkAbort(signal);
    const chunk = groups.slice(s, s + decoder.maxBatch);
    const points = new Float32Array(chunk.length * 2);
    chunk.forEach((g, i) => {
      points[2 * i] = g[0]!.redecode!.x;
      points[2 * i + 1] = g[0]!.redecode!.y;
    });
    const td = now();
    const d = await decodeSurvivors(decoder, embedding, points, chunk.length, null);
    decodeMs += now() - td;
    checkDecoded(d, chunk.length, embedding);
    const m = d.numMasks;
    const plane = d.lowResHeight * d.lowResWidth;
    chunk.forEach((g, j) => {
      for (const c of g) {
        upscaler.load(d.lowResMasks, (j * m + c.redecode!.token) * plane);
        const mask = upscaler.materialize();
        const { logits: _l, redecode: _r, ...rest } = c;
        const [cx0, cy0] = c.cropBox;
        const bc = mask.box;
        out.set(c, { ...rest, box: [bc[0] + cx0, bc[1] + cy0, bc[2] + cx0, bc[3] + cy0], boxInCrop: bc, rle: mask.rle, area: mask.area });
      }
    });
  }
  return { rebuilt: out, decodeMs };
}

/** A batch's IoU predictions, and the mask logits of `prompts` (ascending batch indices) only. */
interface SurvivorBatch extends DecodedBatch {
  prompts: number[];
}

/**
 * Decodes a batch; with a two-stage decoder, asks for the masks of only the prompts with an ambiguity
 * token (1..M-1, the reference's multimask output) whose predicted IoU passes `iouThr` (null: all).
 */
async function decodeSurvivors(
  decoder: AmgDecoder,
  embedding: SamEmbedding,
  points: Float32Array,
  count: number,
  iouThr: number | null,
): Promise<SurvivorBatch> {
  const everyPrompt = () => Array.from({ length: count }, (_, i) => i);
  if (!decoder.scoreBatch) return { ...(await decoder.decodeBatch(embedding, points, count)), prompts: everyPrompt() };
  const scored = await decoder.scoreBatch(embedding, points, count);
  const m = scored.numMasks;
  if (!Number.isInteger(m) || m < 2 || scored.iouPredictions.length !== count * m) {
    throw new AmgInputError(`decoder returned ${scored.iouPredictions.length} IoU predictions for ${count} prompts x ${String(m)} masks`);
  }
  let prompts = everyPrompt();
  if (iouThr !== null) {
    prompts = prompts.filter((i) => {
      for (let t = 1; t < m; t++) if (scored.iouPredictions[i * m + t]! > iouThr) return true;
      return false;
    });
  }
  const masks = await scored.masksOf(prompts);
  return { numMasks: m, iouPredictions: scored.iouPredictions, ...masks, prompts };
}

function checkDecoded(d: SurvivorBatch, count: number, embedding: SamEmbedding): void {
  const { numMasks: m, lowResHeight: lh, lowResWidth: lw } = d;
  if (!Number.isInteger(m) || m < 2) {
    throw new AmgInputError(
      `the decoder returns ${String(m)} mask(s) per prompt; automatic generation needs the multimask export (4 masks)`,
    );
  }
  if (d.iouPredictions.length !== count * m) {
    throw new AmgInputError(`decoder returned ${d.iouPredictions.length} IoU predictions for ${count} prompts x ${m} masks`);
  }
  if (d.lowResMasks.length !== d.prompts.length * m * lh * lw) {
    throw new AmgInputError(`decoder returned ${d.lowResMasks.length} mask logits for ${d.prompts.length} x ${m} x ${lh} x ${lw}`);
  }
  const [, , eh, ew] = embedding.shape;
  // With no prompt asked for, no logits came back to have a size.
  if (d.prompts.length > 0 && (lh !== 4 * eh || lw !== 4 * ew)) {
    throw new AmgInputError(`low-res masks are ${lh}x${lw} but the embedding is ${eh}x${ew} (expected 4x)`);
  }
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AmgAbortedError("automatic mask generation was aborted");
}

/** Runs automatic mask generation over an image. */
export async function generateMasks(input: GenerateMasksInput, options: AmgOptions = {}): Promise<AmgResult> {
  const t0 = now();
  const opts = resolveAmgOptions(options);
  checkInput(input, opts);
  const { height: H, width: W, decoder } = input;
  const crops = generateCropBoxes(H, W, opts.cropNLayers, opts.cropOverlapRatio);
  assertCropsUsable(crops, H, W);

  const stats: AmgStats = {
    crops: crops.length,
    prompts: 0,
    decoderRuns: 0,
    maskPrompts: 0,
    candidates: 0,
    afterIou: 0,
    afterStability: 0,
    afterCropEdge: 0,
    afterCropNms: 0,
    redecoded: 0,
    output: 0,
  };
  let encodeMs = 0;
  let decodeMs = 0;
  const imageBox: Box = [0, 0, W, H];
  const iouThr = f32(opts.predIouThresh);
  const stabThr = f32(opts.stabilityScoreThresh);
  const thrHi = f32(opts.stabilityScoreOffset);
  const thrLo = f32(-opts.stabilityScoreOffset);
  // "1 or more disables it": a mask covering the whole image is kept, as in the reference.
  const maxArea = opts.maxMaskAreaFraction < 1 ? opts.maxMaskAreaFraction * H * W : null;
  const budget = input.keptLogitsBytes ?? PENDING_BYTES;

  let all: Candidate[] = [];
  for (let ci = 0; ci < crops.length; ci++) {
    checkAbort(input.signal);
    const { box: cropBox, layer } = crops[ci]!;
    const [cx0, cy0, cx1, cy1] = cropBox;
    const cw = cx1 - cx0;
    const ch = cy1 - cy0;
    let embedding: SamEmbedding;
    if (layer === 0 && input.embedding) {
      embedding = input.embedding;
    } else {
      const te = now();
      embedding = await input.encodeCrop!(cropBox);
      encodeMs += now() - te;
      checkEmbedding(embedding, ch, cw, `the embedding of crop [${cropBox.join(", ")}]`);
    }
    const resized = resizedSize({ height: ch, width: cw }, embedding.inputSize);
    const sx = resized.width / cw;
    const sy = resized.height / ch;

    const grid = opts.pointGrids[layer]!;
    const nPoints = grid.length / 2;
    stats.prompts += nPoints;
    // Batches of near-equal size, none over pointsPerBatch (144 prompts at 64: 48 + 48 + 48, not 64 + 64 +
    // 16): a small batch costs more per prompt (`npm run bench:amg-graphs -- --batch 16` against the
    // default 64), and prompts are independent, so the candidates and their order are the same.
    const batches = Math.ceil(nPoints / opts.pointsPerBatch);
    const perBatch = Math.ceil(nPoints / Math.max(1, batches));
    let upscaler: MaskUpscaler | undefined;
    const kept: Pending[] = [];
    let pendingBytes = 0;

    for (let b = 0; b < batches; b++) {
      const start = b * perBatch;
      const end = Math.min(nPoints, start + perBatch);
      // A batch larger than the decoder takes is split; prompts are independent, so results are equal.
      for (let s = start; s < end; s += decoder.maxBatch) {
        checkAbort(input.signal);
        const e = Math.min(end, s + decoder.maxBatch);
        const count = e - s;
        const cropPoints = new Float64Array(count * 2);
        const modelPoints = new Float32Array(count * 2);
        for (let i = 0; i < count; i++) {
          const px = grid[2 * (s + i)]! * cw;
          const py = grid[2 * (s + i) + 1]! * ch;
          cropPoints[2 * i] = px;
          cropPoints[2 * i + 1] = py;
          modelPoints[2 * i] = px * sx;
          modelPoints[2 * i + 1] = py * sy;
        }
        const td = now();
        const out = await decodeSurvivors(decoder, embedding, modelPoints, count, opts.predIouThresh > 0 ? iouThr : null);
        decodeMs += now() - td;
        stats.decoderRuns++;
        stats.maskPrompts += out.prompts.length;
        checkDecoded(out, count, embedding);
        upscaler ??= new MaskUpscaler(
          {
          lowResHeight: out.lowResHeight,
          lowResWidth: out.lowResWidth,
          inputSize: embedding.inputSize,
          resizedHeight: resized.height,
          resizedWidth: resized.width,
          cropHeight: ch,
          cropWidth: cw,
          cropX0: cx0,
          cropY0: cy0,
          imageHeight: H,
          imageWidth: W,
          },
          { thrHi, thrLo },
        );
        const m = out.numMasks;
        const plane = out.lowResHeight * out.lowResWidth;
        for (let j = 0; j < out.prompts.length; j++) {
          const i = out.prompts[j]!;
          // Token 0 is the multi-prompt answer; the reference's multimask output is tokens 1..M-1.
          for (let t = 1; t < m; t++) {
            stats.candidates++;
            const iou = out.iouPredictions[i * m + t]!;
            if (opts.predIouThresh > 0 && !(iou > iouThr)) continue;
            stats.afterIou++;
            upscaler.load(out.lowResMasks, (j * m + t) * plane);
            const counts = upscaler.stabilityCounts();
            const stability = counts.unions === 0 ? 0 : f32(counts.intersections / counts.unions);
            if (opts.stabilityScoreThresh > 0 && !(stability >= stabThr)) continue;
            stats.afterStability++;
            const bc = upscaler.box();
            if (isBoxNearCropEdge(bc, cropBox, imageBox)) continue;
            stats.afterCropEdge++;
            const area = maxArea === null ? undefined : upscaler.area();
            if (area !== undefined && area >= maxArea!) continue;
            const candidate: Pending = {
              box: [bc[0] + cx0, bc[1] + cy0, bc[2] + cx0, bc[3] + cy0],
              boxInCrop: bc,
              iouPred: iou,
              stability,
              point: [cropPoints[2 * i]! + cx0, cropPoints[2 * i + 1]! + cy0],
              cropBox,
            };
            // The mask itself (RLE, area) is needed only if the candidate survives NMS, which needs
            // only the box: keep the low-res logits instead, up to a memory budget.
            const bytes = upscaler.captureBytes();
            if (pendingBytes + bytes <= budget) {
              pendingBytes += bytes;
              candidate.logits = upscaler.capture();
            } else {
              candidate.redecode = { x: modelPoints[2 * i]!, y: modelPoints[2 * i + 1]!, token: t };
            }
            kept.push(candidate);
          }
        }
      }
      input.onProgress?.({ crop: ci, crops: crops.length, batch: b, batches, kept: kept.length });
    }

    const keep = nms(
      kept.map((c) => c.boxInCrop),
      kept.map((c) => c.iouPred),
      opts.boxNmsThresh,
    );
    const survivors = keep.map((i) => kept[i]!);
    const again = survivors.filter((c) => c.redecode);
    let rebuilt: Map<Pending, Candidate> | undefined;
    if (again.length > 0) {
      const r = await redecodeSurvivors(again, decoder, embedding, upscaler!, input.signal);
      rebuilt = r.rebuilt;
      decodeMs += r.decodeMs;
      stats.redecoded += again.length;
    }
    for (const c of survivors) all.push(rebuilt?.get(c) ?? finish(c, upscaler!));
  }
  stats.afterCropNms = all.length;

  if (crops.length > 1) {
    // Prefer masks from smaller crops: score = 1 / crop area (float32, as the reference's tensor).
    const scores = all.map((c) => f32(1 / ((c.cropBox[2] - c.cropBox[0]) * (c.cropBox[3] - c.cropBox[1]))));
    const keep = nms(
      all.map((c) => c.box),
      scores,
      opts.cropNmsThresh,
    );
    all = keep.map((i) => all[i]!);
  }

  if (opts.minMaskRegionArea > 0) {
    all = postprocessSmallRegions(all, opts.minMaskRegionArea, Math.max(opts.boxNmsThresh, opts.cropNmsThresh));
  }
  const masks = toRecords(all, opts.outputMode);
  stats.output = masks.length;
  const totalMs = now() - t0;
  return {
    masks,
    stats,
    timings: { encodeMs, decodeMs, postprocessMs: totalMs - encodeMs - decodeMs, totalMs },
  };
}
