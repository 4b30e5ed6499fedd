// A per-process cache of loaded model runtimes (ONNX sessions), keyed by model version id. It lives on
// globalThis under a registered symbol because Next.js bundles route handlers with their own copies of
// modules (see getServices in services.ts): one set of sessions per process, not per copy.
import type { Services } from "../services.ts";

export interface ProcessCache<T extends { release(): Promise<void> }> {
  /** The cached value for `id`, else `load()`'s (a failed load is forgotten, so the next call retries). */
  get(id: string, load: () => Promise<T>): Promise<T>;
  /** Frees every cached value (tests, shutdown). */
  releaseAll(): Promise<void>;
}

export function processCache<T extends { release(): Promise<void> }>(name: string): ProcessCache<T> {
  const key = Symbol.for(name);
  const map = (): Map<string, Promise<T>> => {
    const g = globalThis as typeof globalThis & { [key]?: Map<string, Promise<T>> };
    g[key] ??= new Map();
    return g[key]!;
  };
  return {
    get(id, load) {
      const entries = map();
      let loading = entries.get(id);
      if (!loading) {
        loading = load();
        entries.set(id, loading);
        loading.catch(() => entries.delete(id));
      }
      return loading;
    },
    async releaseAll() {
      const entries = map();
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map(async (v) => (await v.catch(() => null))?.release()));
    },
  };
}

/** A stored model file as bytes. */
export async function readModelFile(services: Services, key: string): Promise<Uint8Array> {
  const bytes = await services.storage.getBytes(key);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A model file's external data files, stored next to it (same folder) under the names it references. */
export function readExternalData(services: Services, modelKey: string, names: readonly string[] | undefined): Promise<{ path: string; data: Uint8Array }[]> {
  const dir = modelKey.slice(0, modelKey.lastIndexOf("/") + 1);
  return Promise.all((names ?? []).map(async (name) => ({ path: name, data: await readModelFile(services, dir + name) })));
}
