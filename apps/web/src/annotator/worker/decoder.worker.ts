// The decoder Web Worker: onnxruntime-web (wasm, threads when the page is cross-origin isolated) runs
// SAM's decoder here so clicks never block the page. Requests are served one at a time, in order.
import { configureWebRuntime, createWebBackend } from "@data-engine/sam-core/web";
import { forgetDecoder, loadDecoderBytes } from "../data/decoder-cache.ts";
import { AnnotatorEngine, AnnotatorEngineError } from "./engine.ts";
import type { InitResult, Requests, WorkerRequest, WorkerResponse } from "./protocol.ts";

// The app compiles against the DOM lib; these are the worker-scope members used here.
interface WorkerScope {
  crossOriginIsolated?: boolean;
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerResponse, transfer: Transferable[]): void;
}
const scope = globalThis as unknown as WorkerScope;

let engine: AnnotatorEngine | undefined;
let threadsUsed = 1;
let queue: Promise<unknown> = Promise.resolve();

function requireEngine(): AnnotatorEngine {
  if (!engine) throw new AnnotatorEngineError("the decoder is not loaded yet");
  return engine;
}

async function init(req: Requests["init"]["req"]): Promise<InitResult> {
  const t0 = performance.now();
  const isolated = scope.crossOriginIsolated === true;
  // Without cross-origin isolation there is no SharedArrayBuffer: ask for one thread instead of failing.
  threadsUsed = isolated ? Math.max(1, req.threads) : 1;
  configureWebRuntime({ wasmPaths: req.wasmPaths, numThreads: threadsUsed });
  const src = { url: req.decoderUrl, modelId: req.modelId, sha256: req.decoderSha256 };
  const bytes = (skipCache: boolean) =>
    loadDecoderBytes(src, { skipCache }).catch((err: unknown) => {
      throw new AnnotatorEngineError(err instanceof Error ? err.message : String(err));
    });
  const create = (decoder: Uint8Array) => AnnotatorEngine.create({ backend: createWebBackend(), decoder, modelId: req.modelId });
  const first = await bytes(false);
  try {
    engine = await create(first.bytes);
  } catch (err) {
    if (!first.fromCache) throw err;
    // A cached copy that does not load (a truncated write) is dropped and downloaded again.
    await forgetDecoder(src);
    engine = await create((await bytes(true)).bytes);
  }
  return {
    inputSize: engine.inputSize, lowResSize: engine.lowResSize, threads: threadsUsed, crossOriginIsolated: isolated,
    loadMs: performance.now() - t0, decoderFromCache: first.fromCache,
  };
}

async function handle(msg: WorkerRequest): Promise<{ result: unknown; transfer: Transferable[] }> {
  switch (msg.type) {
    case "init":
      return { result: await init(msg.payload), transfer: [] };
    case "setImage": {
      const p = msg.payload;
      return { result: requireEngine().setImage(p.imageId, new Uint8Array(p.embedding), { width: p.width, height: p.height }), transfer: [] };
    }
    case "predict": {
      const e = requireEngine();
      const { render, keep, ...prompt } = msg.payload;
      const predicted = await e.predict(prompt, keep);
      const index = render?.index === "best" ? predicted.bestIndex : (render?.index ?? predicted.bestIndex);
      const rendered = render ? e.render({ ...render.draft, result: { resultId: predicted.resultId, index } }, render.color) : null;
      return { result: { ...predicted, index, render: rendered }, transfer: rendered ? [rendered.rgba.buffer] : [] };
    }
    case "render": {
      const r = requireEngine().render(msg.payload.draft, msg.payload.color);
      return { result: r, transfer: [r.rgba.buffer] };
    }
    case "finalize":
      return { result: await requireEngine().finalize(msg.payload.draft), transfer: [] };
    case "setMasks":
      return { result: { count: requireEngine().setMasks(msg.payload.masks) }, transfer: [] };
    case "renderOthers": {
      const r = requireEngine().renderOthers(msg.payload.hidden);
      return { result: r, transfer: [r.rgba.buffer] };
    }
    case "hitTest":
      return { result: { maskId: requireEngine().hitTest(msg.payload.x, msg.payload.y, msg.payload.exclude) }, transfer: [] };
    case "forgetResults":
      return { result: { dropped: requireEngine().forgetResults() }, transfer: [] };
  }
}

scope.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const msg = event.data;
  queue = queue.then(async () => {
    let response: WorkerResponse;
    let transfer: Transferable[] = [];
    try {
      const out = await handle(msg);
      response = { id: msg.id, ok: true, result: out.result };
      transfer = out.transfer;
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      response = { id: msg.id, ok: false, error: e.message, name: e.name };
    }
    scope.postMessage(response, transfer);
  });
};
