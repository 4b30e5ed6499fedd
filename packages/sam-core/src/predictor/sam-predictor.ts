import type { SamEmbedding } from "../embedding/embedding.ts";
import { assertEmbeddingMatchesModel } from "../embedding/embedding.ts";
import { normalizeAndPad, resizeLongestSide, resizedSize, toRawHwc } from "../image/preprocess.ts";
import type { Size } from "../image/preprocess.ts";
import type { RgbImage } from "../image/rgb-image.ts";
import { assertRgbImage } from "../image/rgb-image.ts";
import { ImageError } from "../image/errors.ts";
import { inspectOnnx } from "../inspect/inspect.ts";
import type { ModelInfo } from "../inspect/inspect.ts";
import { requireRole } from "../inspect/require.ts";
import type { DecoderOutputs } from "../inspect/roles.ts";
import type { ExternalDataFile, OrtBackend, RtSession, SessionOptions } from "../runtime/backend.ts";
import { float32Data } from "../runtime/backend.ts";
import type { BinaryMask } from "../mask/types.ts";
import { PredictorStateError } from "./errors.ts";
import { modelIdFromBytes } from "./model-id.ts";
import { buildPromptTensors, selectTokens } from "./prompt.ts";
import type { SamPrompt } from "./prompt.ts";

export interface SamPredictorOptions {
  backend: OrtBackend;
  /** The public SAM decoder (.onnx bytes). */
  decoder: Uint8Array;
  decoderExternalData?: ExternalDataFile[];
  /** Optional image encoder; without one, embeddings come from `setEmbedding`. */
  encoder?: Uint8Array;
  encoderExternalData?: ExternalDataFile[];
  /**
   * Identifies the encoder, stored in embeddings and compared by `setEmbedding`. Defaults to a hash of
   * the encoder bytes; "" (no encoder, no id) accepts any embedding of the right shape.
   */
  modelId?: string;
  sessionOptions?: SessionOptions;
}

export interface PredictOptions extends SamPrompt {
  /** Return 3 candidate masks for an ambiguous prompt (default true, as the official predictor). */
  multimask?: boolean;
  /** Also return the full-size logits of each returned mask. */
  returnLogits?: boolean;
}

export interface LowResPrediction {
  /** Predicted IoU per returned mask, in model token order. */
  scores: number[];
  /** Low-res logits per returned mask (lowResSize[0] x lowResSize[1]), to feed back as `maskInput`. */
  lowResLogits: Float32Array[];
  lowResSize: [number, number];
  /** Index of the highest score. */
  bestIndex: number;
  /** Decoder token index of each returned mask. */
  tokens: number[];
}

export interface Prediction extends LowResPrediction {
  /** Masks at the original image size (logits > 0). */
  masks: BinaryMask[];
  /** Full-size logits per mask (only with `returnLogits`). */
  logits?: Float32Array[];
  /** Only from decoders exported with extra metrics. */
  stabilityScores?: number[];
  areas?: number[];
}

export interface SetImageOptions {
  /**
   * The image is already resized to the longest-side size of this original (e.g. by a fast decoder for
   * huge images); masks are then produced at this original size.
   */
  originalSize?: Size;
}

export class SamPredictor {
  private embedding: SamEmbedding | undefined;

  private constructor(
    readonly backend: OrtBackend,
    readonly decoderInfo: ModelInfo,
    readonly encoderInfo: ModelInfo | undefined,
    private readonly decoder: RtSession,
    private readonly encoder: RtSession | undefined,
    readonly modelId: string,
    readonly inputSize: number,
    readonly embeddingShape: [number, number, number, number],
    readonly lowResSize: [number, number],
    private readonly outputs: DecoderOutputs,
  ) {}

  static async create(opts: SamPredictorOptions): Promise<SamPredictor> {
    const decoderInfo = inspectOnnx(opts.decoder, "decoder");
    requireRole(decoderInfo, "decoder", "the decoder file");
    const d = decoderInfo.sam;
    if (!d.embeddingShape || !d.lowResSize || !d.inputSize || !d.decoderOutputs) {
      throw new PredictorStateError("the decoder does not fix the image_embeddings / mask_input shapes, so its geometry is unknown");
    }
    let encoderInfo: ModelInfo | undefined;
    if (opts.encoder) {
      encoderInfo = inspectOnnx(opts.encoder, "encoder");
      requireRole(encoderInfo, "encoder", "the encoder file");
      const e = encoderInfo.sam;
      if (e.embeddingShape && e.embeddingShape.some((v, i) => v !== d.embeddingShape![i])) {
        throw new PredictorStateError(
          `encoder produces embeddings [${e.embeddingShape.join(",")}] but the decoder takes [${d.embeddingShape.join(",")}]: not a matching pair`,
        );
      }
      if (e.inputSize && e.inputSize !== d.inputSize) {
        throw new PredictorStateError(`encoder input size ${e.inputSize} does not match the decoder's ${d.inputSize}`);
      }
    }
    const so = opts.sessionOptions ?? {};
    const decoder = await opts.backend.createSession(opts.decoder, { ...so, externalData: opts.decoderExternalData, label: "decoder" });
    const encoder = opts.encoder
      ? await opts.backend.createSession(opts.encoder, { ...so, externalData: opts.encoderExternalData, label: "encoder" })
      : undefined;
    const modelId = opts.modelId ?? (opts.encoder ? await modelIdFromBytes(opts.encoder, opts.encoderExternalData) : "");
    const inputSize = encoderInfo?.sam.inputSize ?? d.inputSize;
    return new SamPredictor(opts.backend, decoderInfo, encoderInfo, decoder, encoder, modelId, inputSize, d.embeddingShape, d.lowResSize, d.decoderOutputs);
  }

  /** Runs the encoder on an RGB image (reference preprocessing in TS for the normalized input form). */
  async setImage(image: RgbImage, options: SetImageOptions = {}): Promise<SamEmbedding> {
    if (!this.encoder || !this.encoderInfo) throw new PredictorStateError("this predictor has no encoder: create it with `encoder`, or use setEmbedding");
    assertRgbImage(image);
    const S = this.inputSize;
    let original: Size;
    let resized: RgbImage;
    if (options.originalSize) {
      original = options.originalSize;
      const want = resizedSize(original, S);
      if (image.width !== want.width || image.height !== want.height) {
        throw new ImageError(
          `image is ${image.width}x${image.height} but an original of ${original.width}x${original.height} resizes to ${want.width}x${want.height} at input size ${S}`,
        );
      }
      resized = image;
    } else {
      original = { height: image.height, width: image.width };
      resized = resizeLongestSide(image, S);
    }
    const raw = this.encoderInfo.sam.encoderInputForm === "raw-hwc";
    const input = raw
      ? this.backend.tensor("float32", toRawHwc(resized), [resized.height, resized.width, 3])
      : this.backend.tensor("float32", normalizeAndPad(resized, S), [1, 3, S, S]);
    const out = await this.encoder.run({ input_image: input });
    const emb = out["image_embeddings"];
    if (!emb) throw new PredictorStateError("encoder returned no image_embeddings");
    const shape = emb.dims as number[];
    if (shape.length !== 4 || shape.some((v, i) => v !== this.embeddingShape[i])) {
      throw new PredictorStateError(`encoder returned embeddings [${shape.join(",")}] but the decoder takes [${this.embeddingShape.join(",")}]`);
    }
    this.embedding = {
      data: float32Data(emb, "image_embeddings"),
      shape: [...this.embeddingShape],
      originalSize: [original.height, original.width],
      inputSize: S,
      modelId: this.modelId,
    };
    return this.embedding;
  }

  /** Uses a precomputed embedding (e.g. decoded from `decodeEmbedding`); refuses one from another model. */
  setEmbedding(embedding: SamEmbedding): void {
    assertEmbeddingMatchesModel(embedding, { modelId: this.modelId, shape: this.embeddingShape, inputSize: this.inputSize });
    const [h, w] = embedding.originalSize;
    if (!(h >= 1 && w >= 1)) throw new PredictorStateError(`embedding has invalid original size ${w}x${h}`);
    this.embedding = embedding;
  }

  getEmbedding(): SamEmbedding {
    if (!this.embedding) throw new PredictorStateError("no image set: call setImage or setEmbedding first");
    return this.embedding;
  }

  /** Masks at original size, scores and low-res logits, with the official predictor's semantics. */
  async predict(options: PredictOptions): Promise<Prediction> {
    const { out, tokens, original } = await this.runDecoder(options, false);
    const o = this.outputs;
    const logitsT = out[o.masks]!;
    const [, K, H, W] = logitsT.dims as number[];
    const all = float32Data(logitsT, "masks");
    if (H !== original.height || W !== original.width) {
      throw new PredictorStateError(`decoder returned masks of ${W}x${H}, expected the original size ${original.width}x${original.height}`);
    }
    const plane = H! * W!;
    const masks: BinaryMask[] = [];
    const logits: Float32Array[] = [];
    for (const t of tokens) {
      if (t >= K!) throw new PredictorStateError(`decoder returned ${K} masks, token ${t} missing`);
      const src = all.subarray(t * plane, (t + 1) * plane);
      const data = new Uint8Array(plane);
      for (let i = 0; i < plane; i++) data[i] = src[i]! > 0 ? 1 : 0;
      masks.push({ height: H!, width: W!, data });
      if (options.returnLogits) logits.push(src.slice());
    }
    const low = this.lowRes(out, tokens);
    const result: Prediction = { ...low, masks };
    if (options.returnLogits) result.logits = logits;
    if (o.stabilityScores && out[o.stabilityScores]) result.stabilityScores = pick(out[o.stabilityScores]!.data, tokens);
    if (o.areas && out[o.areas]) result.areas = pick(out[o.areas]!.data, tokens);
    return result;
  }

  /** Only scores and low-res logits (cheaper: the full-size upsampling is not fetched), for live preview. */
  async predictLowRes(options: Omit<PredictOptions, "returnLogits">): Promise<LowResPrediction> {
    const { out, tokens } = await this.runDecoder(options, true);
    return this.lowRes(out, tokens);
  }

  async release(): Promise<void> {
    await this.decoder.release();
    await this.encoder?.release();
  }

  private async runDecoder(options: PredictOptions, lowResOnly: boolean) {
    const emb = this.getEmbedding();
    const original: Size = { height: emb.originalSize[0], width: emb.originalSize[1] };
    const p = buildPromptTensors(options, original, emb.inputSize, this.lowResSize);
    const t = this.backend;
    const [lh, lw] = this.lowResSize;
    const feeds = {
      image_embeddings: t.tensor("float32", emb.data, emb.shape),
      point_coords: t.tensor("float32", p.coords, [1, p.numPoints, 2]),
      point_labels: t.tensor("float32", p.labels, [1, p.numPoints]),
      mask_input: t.tensor("float32", p.maskInput, [1, 1, lh, lw]),
      has_mask_input: t.tensor("float32", p.hasMaskInput, [1]),
      orig_im_size: t.tensor("float32", p.origImSize, [2]),
    };
    const o = this.outputs;
    const fetch = lowResOnly ? [o.iouPredictions, o.lowResMasks] : undefined;
    const out = await this.decoder.run(feeds, fetch);
    const K = (out[o.iouPredictions]!.dims as number[]).at(-1)!;
    return { out, tokens: selectTokens(K, options.multimask ?? true), original };
  }

  private lowRes(out: Record<string, { dims: readonly number[]; data: unknown; type: string }>, tokens: number[]): LowResPrediction {
    const o = this.outputs;
    const scoresAll = float32Data(out[o.iouPredictions]!, "iou_predictions");
    const low = float32Data(out[o.lowResMasks]!, "low_res_masks");
    const [lh, lw] = this.lowResSize;
    const plane = lh * lw;
    if (low.length < (Math.max(...tokens) + 1) * plane) {
      throw new PredictorStateError(`decoder low_res_masks has ${low.length} values, fewer than ${tokens.length} masks of ${lh}x${lw}`);
    }
    const scores = tokens.map((t) => scoresAll[t]!);
    let bestIndex = 0;
    scores.forEach((s, i) => {
      if (s > scores[bestIndex]!) bestIndex = i;
    });
    return { scores, lowResLogits: tokens.map((t) => low.slice(t * plane, (t + 1) * plane)), lowResSize: [lh, lw], bestIndex, tokens };
  }
}

function pick(data: unknown, tokens: number[]): number[] {
  const arr = data as ArrayLike<number | bigint>;
  return tokens.map((t) => Number(arr[t]));
}
