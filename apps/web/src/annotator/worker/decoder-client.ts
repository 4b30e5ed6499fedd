// The page's side of the decoder worker: typed request/response over postMessage.
import type { RequestType, Requests, WorkerRequest, WorkerResponse } from "./protocol.ts";

export class DecoderWorkerError extends Error {
  override name = "DecoderWorkerError";
  constructor(message: string, readonly remoteName: string) {
    super(message);
  }
}

export class DecoderClient {
  private nextId = 1;
  private pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
      const msg = event.data;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new DecoderWorkerError(msg.error, msg.name));
    };
    worker.onerror = (event: ErrorEvent) => {
      const err = new DecoderWorkerError(`the decoder worker failed: ${event.message || "unknown error"}`, "WorkerError");
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  static start(): DecoderClient {
    return new DecoderClient(new Worker(new URL("./decoder.worker.ts", import.meta.url), { type: "module", name: "sam-decoder" }));
  }

  call<K extends RequestType>(type: K, payload: Requests[K]["req"], transfer: Transferable[] = []): Promise<Requests[K]["res"]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, type, payload } as WorkerRequest, transfer);
    });
  }

  terminate(): void {
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new DecoderWorkerError("the annotator was closed", "Closed"));
    this.pending.clear();
  }
}
