// Messages between the annotator page and its decoder Web Worker. Every request carries an id; the worker
// answers each with the same id, either a result or an error message.
import type { Edit } from "../raster/edits.ts";

export type XY = readonly [number, number];

/** Where a SAM run takes its mask prompt from: a previous result's candidate, or an existing mask. */
export type MaskInputRef = { resultId: number; index: number } | { maskId: string };

export interface PromptRequest {
  /** Clicks in original image pixels with labels 1 (foreground) / 0 (background). */
  points: XY[];
  labels: number[];
  box: readonly [number, number, number, number] | null;
  maskInput: MaskInputRef | null;
  multimask: boolean;
}

/** The mask being drafted: a SAM candidate or an existing mask (or nothing), then pixel edits. */
export interface DraftShape {
  result: { resultId: number; index: number } | null;
  baseMaskId: string | null;
  edits: Edit[];
}

export interface InitRequest {
  decoderUrl: string;
  /** SHA-256 of the decoder file: its key in the browser cache (null: keyed by the model id). */
  decoderSha256: string | null;
  modelId: string;
  threads: number;
  wasmPaths: string;
}

export interface InitResult {
  inputSize: number;
  lowResSize: [number, number];
  threads: number;
  crossOriginIsolated: boolean;
  loadMs: number;
  /** The decoder came from the browser cache (no download). */
  decoderFromCache: boolean;
}

export interface SetImageResult {
  frame: { width: number; height: number };
  ms: number;
}

export interface PredictResult {
  resultId: number;
  scores: number[];
  /** Index of the highest predicted IoU among the candidates. */
  bestIndex: number;
  decodeMs: number;
}

export interface RenderResult {
  width: number;
  height: number;
  /** RGBA of the frame (transferred). */
  rgba: Uint8ClampedArray;
  /** Pixels set, in the work frame. */
  area: number;
  ms: number;
}

export interface FinalizeResult {
  counts: string;
  size: [number, number];
  area: number;
  predictedIou: number | null;
  ms: number;
}

export interface ExistingMask {
  id: string;
  rle: string;
  color: string;
}

export interface Requests {
  init: { req: InitRequest; res: InitResult };
  setImage: { req: { imageId: string; embedding: ArrayBuffer; width: number; height: number }; res: SetImageResult };
  predict: { req: PromptRequest & { keep: boolean; render: { index: number | "best"; draft: Omit<DraftShape, "result">; color: string } | null }; res: PredictResult & { render: RenderResult | null; index: number } };
  render: { req: { draft: DraftShape; color: string }; res: RenderResult };
  finalize: { req: { draft: DraftShape }; res: FinalizeResult };
  setMasks: { req: { masks: ExistingMask[] }; res: { count: number } };
  renderOthers: { req: { hidden: string[] }; res: RenderResult };
  hitTest: { req: { x: number; y: number; exclude: string[] }; res: { maskId: string | null } };
  forgetResults: { req: Record<string, never>; res: { dropped: number } };
}

export type RequestType = keyof Requests;

export type WorkerRequest = { [K in RequestType]: { id: number; type: K; payload: Requests[K]["req"] } }[RequestType];

export type WorkerResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string; name: string };
