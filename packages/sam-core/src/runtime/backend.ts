/*
 * One small interface over onnxruntime-node and onnxruntime-web, so the predictor is written once.
 * Both packages expose the same onnxruntime-common API; the adapter (ort-adapter.ts) narrows it to what
 * SAM needs and normalises options and errors.
 */

export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array;
export type TensorDtype = "float32" | "int32" | "int64" | "uint8" | "int8" | "bool" | "float16";

export interface RtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: TensorData | unknown;
}

export interface ExternalDataFile {
  /** The location string the model refers to (file name relative to the model). */
  path: string;
  data: Uint8Array;
}

export type GraphOptimizationLevel = "disabled" | "basic" | "extended" | "all";

export interface SessionOptions {
  /** Intra-op threads (node) / wasm threads (web; set process-wide before the first session). */
  threads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** Weights stored outside the model file, as `{ path, data }` where path is the name the model uses. */
  externalData?: ExternalDataFile[];
  /** Only for diagnostics: a name to use in error messages. */
  label?: string;
}

export interface RtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, RtTensor>, outputNames?: readonly string[]): Promise<Record<string, RtTensor>>;
  release(): Promise<void>;
}

export interface OrtBackend {
  /** "onnxruntime-node", "onnxruntime-web", ... */
  readonly name: string;
  createSession(model: Uint8Array, options?: SessionOptions): Promise<RtSession>;
  tensor(type: TensorDtype, data: TensorData, dims: readonly number[]): RtTensor;
}

/** A session could not be created or run; the message names the model and the runtime's reason. */
export class RuntimeError extends Error {
  override name = "RuntimeError";
}

export function float32Data(t: RtTensor, what: string): Float32Array {
  if (t.type !== "float32" || !(t.data instanceof Float32Array)) {
    throw new RuntimeError(`${what}: expected a float32 tensor, got ${t.type}`);
  }
  return t.data;
}
