// The decoder ONNX (tens of MB) kept in the browser's Cache Storage across page loads, keyed by the file's
// SHA-256 (the model version id when the row has none) rather than by its short-lived signed URL, so
// reopening the annotator does not download it again. Runs in the decoder worker; the newest few decoders
// are kept, older ones are deleted. Without the Cache API (insecure origins) every load downloads.

export const DECODER_CACHE = "sam-decoders-v1";
export const DECODER_CACHE_CAPACITY = 2;

/** The parts of the Cache API used here (injectable for tests). */
export interface CacheStorageLike {
  open(name: string): Promise<{
    match(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | undefined>;
    put(key: string, response: Response): Promise<void>;
    keys(): Promise<readonly { url: string }[]>;
    delete(key: string): Promise<boolean>;
  }>;
}

export interface DecoderSource {
  url: string;
  modelId: string;
  sha256: string | null;
}

export function decoderCacheKey(src: Pick<DecoderSource, "modelId" | "sha256">): string {
  return src.sha256 ? `/__decoders/sha256/${src.sha256}` : `/__decoders/model/${encodeURIComponent(src.modelId)}`;
}

function defaultCaches(): CacheStorageLike | null {
  return typeof caches === "undefined" ? null : (caches as unknown as CacheStorageLike);
}

export interface DecoderBytes {
  bytes: Uint8Array;
  fromCache: boolean;
}

/** The decoder's bytes: from the cache when present, else downloaded (and then cached). */
export async function loadDecoderBytes(
  src: DecoderSource,
  opts: { caches?: CacheStorageLike | null; fetch?: typeof fetch; skipCache?: boolean } = {},
): Promise<DecoderBytes> {
  const store = opts.caches === undefined ? defaultCaches() : opts.caches;
  const key = decoderCacheKey(src);
  // A broken cache (quota, private mode) must never stop the annotator: fall back to the network.
  const cache = store ? await store.open(DECODER_CACHE).catch(() => null) : null;
  if (cache && !opts.skipCache) {
    const hit = await cache.match(key).catch(() => undefined);
    if (hit) return { bytes: new Uint8Array(await hit.arrayBuffer()), fromCache: true };
  }
  const res = await (opts.fetch ?? fetch)(src.url);
  if (!res.ok) throw new Error(`could not download the decoder (HTTP ${res.status})`);
  const buffer = await res.arrayBuffer();
  if (cache) {
    try {
      await cache.put(key, new Response(buffer.slice(0), { headers: { "content-type": "application/octet-stream" } }));
      // keys() lists in insertion order: keep the newest few decoders.
      const keys = (await cache.keys()).map((r) => new URL(r.url, "http://x").pathname);
      await Promise.all(keys.slice(0, Math.max(0, keys.length - DECODER_CACHE_CAPACITY)).map((k) => cache.delete(k)));
    } catch {
      // Not cached this time; the bytes are still good.
    }
  }
  return { bytes: new Uint8Array(buffer), fromCache: false };
}

/** Forgets a cached decoder (its bytes failed to load, so the next load downloads a fresh copy). */
export async function forgetDecoder(src: Pick<DecoderSource, "modelId" | "sha256">, store: CacheStorageLike | null = defaultCaches()): Promise<void> {
  if (!store) return;
  await (await store.open(DECODER_CACHE)).delete(decoderCacheKey(src)).catch(() => false);
}
