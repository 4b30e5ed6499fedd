import type { OrtBackend, RtSession, RtTensor, SessionOptions, TensorData, TensorDtype } from "./backend.ts";
import { RuntimeError } from "./backend.ts";

/*
 * The structural slice of the onnxruntime-common API used here. Declared locally so this module does not
 * import either runtime (the browser bundle must not pull onnxruntime-node, and vice versa).
 */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>, fetches?: readonly string[]): Promise<Record<string, unknown>>;
  release(): Promise<void>;
}

export interface OrtModuleLike {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<unknown> };
  Tensor: new (type: never, data: never, dims: never) => unknown;
}

export interface OrtAdapterOptions {
  name: string;
  ort: OrtModuleLike;
  /** Per-runtime translation of our options to the runtime's (e.g. wasm thread count is global). */
  sessionOptions?: (opts: SessionOptions) => Record<string, unknown>;
  /** Overrides model loading, e.g. onnxruntime-node cannot take external data from memory. */
  load?: (model: Uint8Array, opts: SessionOptions, ortOptions: Record<string, unknown>) => Promise<unknown>;
}

export function baseSessionOptions(opts: SessionOptions): Record<string, unknown> {
  const o: Record<string, unknown> = { graphOptimizationLevel: opts.graphOptimizationLevel ?? "all" };
  if (opts.threads !== undefined) {
    if (!Number.isInteger(opts.threads) || opts.threads < 0) throw new RuntimeError(`threads must be a non-negative integer, got ${opts.threads}`);
    o.intraOpNumThreads = opts.threads;
  }
  return o;
}

export function createOrtBackend(adapter: OrtAdapterOptions): OrtBackend {
  const { ort, name } = adapter;
  const toOrtOptions = adapter.sessionOptions ?? baseSessionOptions;
  return {
    name,
    async createSession(model: Uint8Array, opts: SessionOptions = {}): Promise<RtSession> {
      const label = opts.label ?? "model";
      const ortOptions = toOrtOptions(opts);
      let raw: unknown;
      try {
        raw = adapter.load ? await adapter.load(model, opts, ortOptions) : await ort.InferenceSession.create(model, ortOptions);
      } catch (err) {
        throw new RuntimeError(`${name} could not load ${label}: ${messageOf(err)}`);
      }
      return wrapSession(raw as OrtSessionLike, name, label);
    },
    tensor(type: TensorDtype, data: TensorData, dims: readonly number[]): RtTensor {
      const Tensor = ort.Tensor as unknown as new (t: string, d: TensorData, dims: readonly number[]) => RtTensor;
      return new Tensor(type, data, dims);
    },
  };
}

function wrapSession(s: OrtSessionLike, runtime: string, label: string): RtSession {
  return {
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    async run(feeds, outputNames) {
      try {
        const out = outputNames ? await s.run(feeds, outputNames) : await s.run(feeds);
        return out as Record<string, RtTensor>;
      } catch (err) {
        throw new RuntimeError(`${runtime} failed running ${label}: ${messageOf(err)}`);
      }
    },
    release: () => s.release(),
  };
}

function messageOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split("\n")[0]!.slice(0, 500);
}
