// The annotator's SAM engine: the decoder session, the open image's embedding, every candidate the
// current drafts produced (their low-res logits, for refining and for the full-size save), and the
// image's existing masks. Runs inside the Web Worker; written against sam-core's backend interface so the
// tests run it under Node with the same onnxruntime-web.
import {
  buildPromptTensors,
  decodeEmbedding,
  decodeMask,
  embeddingMismatch,
  encodeMask,
  float32Data,
  inspectOnnx,
  requireRole,
  selectTokens,
  type DecoderOutputs,
  type OrtBackend,
  type RtSession,
  type RtTensor,
} from "@data-engine/sam-core";
import { applyEdits } from "../raster/edits.ts";
import { identityFrame, workFrame, type Frame, type Size } from "../raster/frame.ts";
import { logitsToFrameMask, lowResImageMask, maskToLowResLogits, resizedFrame, type LowResGeometry } from "../raster/logits.ts";
import { paintMask, parseHexColor } from "../raster/paint.ts";
import { countOnes, maskToFrame } from "../raster/resample.ts";
import type { DraftShape, ExistingMask, FinalizeResult, MaskInputRef, PredictResult, PromptRequest, RenderResult, SetImageResult } from "./protocol.ts";

export class AnnotatorEngineError extends Error {
  override name = "AnnotatorEngineError";
}

interface StoredResult {
  prompt: Omit<PromptRequest, "maskInput"> & { maskInput: Float32Array | null };
  tokens: number[];
  scores: number[];
  lowRes: Float32Array[];
}

interface OpenImage {
  imageId: string;
  original: Size;
  frame: Frame;
  embedding: RtTensor;
}

interface StoredMask {
  rle: string;
  color: string;
  frameMask?: Uint8Array;
  area?: number;
}

const DRAFT_FILL_ALPHA = 120;
const OTHERS_FILL_ALPHA = 80;
const LOW_RES_FILL_ALPHA = 140;

export interface EngineOptions {
  backend: OrtBackend;
  decoder: Uint8Array;
  /** The model version id the embeddings were made with ("" accepts any). */
  modelId: string;
  /** Longest side of the live preview frame. */
  frameSide?: number;
}

export class AnnotatorEngine {
  private image: OpenImage | undefined;
  private results = new Map<number, StoredResult>();
  private nextResultId = 1;
  /** The last hover preview's result, dropped by the next request that keeps nothing either. */
  private transient: number | null = null;
  private masks = new Map<string, StoredMask>();

  private constructor(
    private readonly backend: OrtBackend,
    private readonly session: RtSession,
    readonly modelId: string,
    readonly inputSize: number,
    readonly lowResSize: [number, number],
    private readonly embeddingShape: [number, number, number, number],
    private readonly outputs: DecoderOutputs,
    private readonly frameSide: number,
  ) {}

  static async create(opts: EngineOptions): Promise<AnnotatorEngine> {
    const info = inspectOnnx(opts.decoder, "decoder");
    requireRole(info, "decoder", "the project's decoder");
    const d = info.sam;
    if (!d.embeddingShape || !d.lowResSize || !d.inputSize || !d.decoderOutputs) {
      throw new AnnotatorEngineError("the decoder does not fix the image_embeddings / mask_input shapes, so its geometry is unknown");
    }
    const session = await opts.backend.createSession(opts.decoder, { label: "decoder" });
    return new AnnotatorEngine(opts.backend, session, opts.modelId, d.inputSize, [d.lowResSize[0], d.lowResSize[1]], d.embeddingShape, d.decoderOutputs, opts.frameSide ?? 1024);
  }

  /** Opens an image from its stored embedding blob (sam-core's codec). Drops the previous image's state. */
  setImage(imageId: string, blob: Uint8Array, size: Size): SetImageResult {
    const t0 = performance.now();
    const emb = decodeEmbedding(blob);
    const why = embeddingMismatch(emb, { modelId: this.modelId, shape: this.embeddingShape, inputSize: this.inputSize });
    if (why) throw new AnnotatorEngineError(`the stored embedding cannot be used: ${why}`);
    const [h, w] = emb.originalSize;
    if (h !== size.height || w !== size.width) {
      throw new AnnotatorEngineError(`the embedding was computed for a ${w}x${h} image but this image is ${size.width}x${size.height}`);
    }
    this.image = { imageId, original: { ...size }, frame: workFrame(size, this.frameSide), embedding: this.backend.tensor("float32", emb.data, emb.shape) };
    this.results.clear();
    this.masks.clear();
    return { frame: { width: this.image.frame.width, height: this.image.frame.height }, ms: performance.now() - t0 };
  }

  get frame(): Frame {
    return this.requireImage().frame;
  }

  private requireImage(): OpenImage {
    if (!this.image) throw new AnnotatorEngineError("no image is open");
    return this.image;
  }

  private geometry(): LowResGeometry {
    return { lowResSize: this.lowResSize, inputSize: this.inputSize, original: this.requireImage().original };
  }

  private result(id: number): StoredResult {
    const r = this.results.get(id);
    if (!r) throw new AnnotatorEngineError(`SAM result ${id} is gone (the image was reopened)`);
    return r;
  }

  private maskInputFor(ref: MaskInputRef | null): Float32Array | null {
    if (!ref) return null;
    if ("maskId" in ref) {
      const img = this.requireImage();
      return maskToLowResLogits(this.frameMaskOf(ref.maskId), img.frame, this.geometry());
    }
    const r = this.result(ref.resultId);
    const logits = r.lowRes[ref.index];
    if (!logits) throw new AnnotatorEngineError(`SAM result ${ref.resultId} has no candidate ${ref.index}`);
    return logits;
  }

  private async runDecoder(prompt: StoredResult["prompt"], origImSize: readonly [number, number], fetchMasks: boolean) {
    const img = this.requireImage();
    const p = buildPromptTensors(
      { points: prompt.points, labels: prompt.labels, box: prompt.box ?? undefined, maskInput: prompt.maskInput ?? undefined },
      img.original,
      this.inputSize,
      this.lowResSize,
    );
    const [lh, lw] = this.lowResSize;
    const t = this.backend;
    const feeds = {
      image_embeddings: img.embedding,
      point_coords: t.tensor("float32", p.coords, [1, p.numPoints, 2]),
      point_labels: t.tensor("float32", p.labels, [1, p.numPoints]),
      mask_input: t.tensor("float32", p.maskInput, [1, 1, lh, lw]),
      has_mask_input: t.tensor("float32", p.hasMaskInput, [1]),
      orig_im_size: t.tensor("float32", Float32Array.of(origImSize[0], origImSize[1]), [2]),
    };
    const o = this.outputs;
    const out = await this.session.run(feeds, fetchMasks ? [o.masks, o.iouPredictions, o.lowResMasks] : [o.iouPredictions, o.lowResMasks]);
    const scoresAll = float32Data(out[o.iouPredictions]!, "iou_predictions");
    const tokens = selectTokens(scoresAll.length, prompt.multimask);
    return { out, tokens, scores: tokens.map((k) => scoresAll[k]!) };
  }

  /**
   * One decoder run for the live view. The full-size `masks` output is not needed here, so the decoder is
   * told the image is as small as the low-res grid's image area: its post-processing then costs nothing.
   */
  async predict(req: PromptRequest, keep = true): Promise<PredictResult> {
    const t0 = performance.now();
    const img = this.requireImage();
    const prompt = { ...req, maskInput: this.maskInputFor(req.maskInput) };
    if (!keep && this.transient !== null) {
      this.results.delete(this.transient);
      this.transient = null;
    }
    const resized = resizedFrame(img.original, this.inputSize);
    const [lh, lw] = this.lowResSize;
    const small: [number, number] = [
      Math.max(1, Math.ceil((resized.height * lh) / this.inputSize)),
      Math.max(1, Math.ceil((resized.width * lw) / this.inputSize)),
    ];
    const { out, tokens, scores } = await this.runDecoder(prompt, small, false);
    const low = float32Data(out[this.outputs.lowResMasks]!, "low_res_masks");
    const plane = lh * lw;
    const lowRes = tokens.map((k) => low.slice(k * plane, (k + 1) * plane));
    // Hover previews are not kept: they are never refined or saved.
    const resultId = this.nextResultId++;
    this.results.set(resultId, { prompt, tokens, scores, lowRes });
    if (!keep) this.transient = resultId;
    let bestIndex = 0;
    scores.forEach((s, i) => {
      if (s > scores[bestIndex]!) bestIndex = i;
    });
    return { resultId, scores, bestIndex, decodeMs: performance.now() - t0 };
  }

  private frameMaskOf(maskId: string): Uint8Array {
    const m = this.masks.get(maskId);
    if (!m) throw new AnnotatorEngineError(`mask ${maskId} is not loaded`);
    if (!m.frameMask) {
      const img = this.requireImage();
      const full = this.fullMaskOf(maskId);
      m.frameMask = maskToFrame(full, img.original, img.frame);
      m.area = countOnes(m.frameMask);
    }
    return m.frameMask;
  }

  private fullMaskOf(maskId: string): Uint8Array {
    const m = this.masks.get(maskId);
    if (!m) throw new AnnotatorEngineError(`mask ${maskId} is not loaded`);
    const img = this.requireImage();
    const decoded = decodeMask({ size: [img.original.height, img.original.width], counts: m.rle });
    return decoded.data;
  }

  /** The draft's pixels on the work frame (live view). */
  draftFrameMask(draft: DraftShape): Uint8Array {
    const img = this.requireImage();
    const frame = img.frame;
    let mask: Uint8Array;
    if (draft.result) {
      const logits = this.result(draft.result.resultId).lowRes[draft.result.index];
      if (!logits) throw new AnnotatorEngineError(`SAM result ${draft.result.resultId} has no candidate ${draft.result.index}`);
      mask = logitsToFrameMask(logits, this.geometry(), frame);
    } else if (draft.baseMaskId) {
      mask = this.frameMaskOf(draft.baseMaskId).slice();
    } else {
      mask = new Uint8Array(frame.width * frame.height);
    }
    return applyEdits(mask, frame, draft.edits);
  }

  /**
   * The draft as RGBA for the canvas. A plain SAM candidate (no pixel edits, no existing mask under it) is
   * drawn from its low-res logits (see lowResImageMask): the click's hot path. Anything else is drawn on
   * the work frame, where edits live. `area` counts pixels of whichever raster was drawn.
   */
  render(draft: DraftShape, color: string): RenderResult {
    const t0 = performance.now();
    if (draft.result && !draft.baseMaskId && draft.edits.length === 0) {
      const logits = this.result(draft.result.resultId).lowRes[draft.result.index];
      if (!logits) throw new AnnotatorEngineError(`SAM result ${draft.result.resultId} has no candidate ${draft.result.index}`);
      const { width, height, mask } = lowResImageMask(logits, this.geometry());
      const rgba = new Uint8ClampedArray(width * height * 4);
      // No outline: one low-res cell is several screen pixels, a smoothed outline would read as a blur.
      paintMask(rgba, mask, width, height, parseHexColor(color), LOW_RES_FILL_ALPHA, LOW_RES_FILL_ALPHA);
      return { width, height, rgba, area: countOnes(mask), ms: performance.now() - t0 };
    }
    const { width, height } = this.frame;
    const mask = this.draftFrameMask(draft);
    const rgba = new Uint8ClampedArray(width * height * 4);
    paintMask(rgba, mask, width, height, parseHexColor(color), DRAFT_FILL_ALPHA);
    return { width, height, rgba, area: countOnes(mask), ms: performance.now() - t0 };
  }

  /**
   * The draft at the original size: the SAM candidate decoded again with the real image size (the
   * decoder's own full-resolution upsampling), or the existing mask's exact pixels, then the same edits.
   */
  async finalize(draft: DraftShape): Promise<FinalizeResult> {
    const t0 = performance.now();
    const img = this.requireImage();
    const { width, height } = img.original;
    let mask: Uint8Array;
    let predictedIou: number | null = null;
    if (draft.result) {
      const r = this.result(draft.result.resultId);
      const { out, tokens } = await this.runDecoder(r.prompt, [height, width], true);
      const token = r.tokens[draft.result.index];
      if (token === undefined || !tokens.includes(token)) throw new AnnotatorEngineError(`SAM result ${draft.result.resultId} has no candidate ${draft.result.index}`);
      const all = float32Data(out[this.outputs.masks]!, "masks");
      const plane = width * height;
      if (all.length < (token + 1) * plane) throw new AnnotatorEngineError(`the decoder returned masks smaller than the ${width}x${height} image`);
      mask = new Uint8Array(plane);
      const src = all.subarray(token * plane, (token + 1) * plane);
      for (let i = 0; i < plane; i++) mask[i] = src[i]! > 0 ? 1 : 0;
      predictedIou = r.scores[draft.result.index] ?? null;
    } else if (draft.baseMaskId) {
      mask = this.fullMaskOf(draft.baseMaskId);
    } else {
      mask = new Uint8Array(width * height);
    }
    applyEdits(mask, identityFrame(img.original), draft.edits);
    const rle = encodeMask({ width, height, data: mask });
    return { counts: rle.counts, size: [height, width], area: countOnes(mask), predictedIou, ms: performance.now() - t0 };
  }

  setMasks(masks: readonly ExistingMask[]): number {
    this.requireImage();
    const next = new Map<string, StoredMask>();
    for (const m of masks) {
      const prev = this.masks.get(m.id);
      // Keep the decoded pixels of masks whose RLE did not change (saving one mask must not redo all).
      next.set(m.id, prev && prev.rle === m.rle ? { ...prev, color: m.color } : { rle: m.rle, color: m.color });
    }
    this.masks = next;
    return next.size;
  }

  renderOthers(hidden: readonly string[]): RenderResult {
    const t0 = performance.now();
    const { width, height } = this.frame;
    const rgba = new Uint8ClampedArray(width * height * 4);
    const skip = new Set(hidden);
    // Largest first, so small objects stay visible on top of the big ones they sit in.
    const ids = [...this.masks.keys()].filter((id) => !skip.has(id));
    for (const id of ids) this.frameMaskOf(id);
    ids.sort((a, b) => (this.masks.get(b)!.area ?? 0) - (this.masks.get(a)!.area ?? 0));
    let area = 0;
    for (const id of ids) {
      const m = this.masks.get(id)!;
      paintMask(rgba, m.frameMask!, width, height, parseHexColor(m.color), OTHERS_FILL_ALPHA, 230);
      area += m.area ?? 0;
    }
    return { width, height, rgba, area, ms: performance.now() - t0 };
  }

  /** The smallest existing mask under an original-image point (nested objects stay selectable). */
  hitTest(x: number, y: number, exclude: readonly string[] = []): string | null {
    const { frame } = this.requireImage();
    const fx = Math.floor(x * frame.sx);
    const fy = Math.floor(y * frame.sy);
    if (fx < 0 || fy < 0 || fx >= frame.width || fy >= frame.height) return null;
    let best: string | null = null;
    let bestArea = Infinity;
    for (const id of this.masks.keys()) {
      if (exclude.includes(id)) continue;
      const m = this.frameMaskOf(id);
      const area = this.masks.get(id)!.area ?? 0;
      if (m[fy * frame.width + fx] && area < bestArea) {
        best = id;
        bestArea = area;
      }
    }
    return best;
  }

  /** Drops stored candidates (a draft was saved or discarded). */
  forgetResults(): number {
    const n = this.results.size;
    this.results.clear();
    return n;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
