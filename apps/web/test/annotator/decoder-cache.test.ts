// The decoder cache: a second load is served from Cache Storage without a download, entries are keyed by
// the file's hash (a new signed URL for the same file still hits), only the newest few decoders are kept,
// and failures of the cache or the network are handled.
import { describe, expect, it } from "vitest";
import { DECODER_CACHE, DECODER_CACHE_CAPACITY, decoderCacheKey, forgetDecoder, loadDecoderBytes, type CacheStorageLike } from "../../src/annotator/data/decoder-cache.ts";

/** An in-memory Cache Storage with the browser's semantics for the calls used (insertion-ordered keys). */
function memoryCaches() {
  const stores = new Map<string, Map<string, ArrayBuffer>>();
  const storage: CacheStorageLike = {
    async open(name) {
      const m = stores.get(name) ?? new Map<string, ArrayBuffer>();
      stores.set(name, m);
      return {
        async match(key) {
          const b = m.get(key);
          return b ? { arrayBuffer: async () => b.slice(0) } : undefined;
        },
        async put(key, response) {
          m.delete(key);
          m.set(key, await response.arrayBuffer());
        },
        async keys() {
          return [...m.keys()].map((k) => ({ url: `http://127.0.0.1:3000${k}` }));
        },
        async delete(key) {
          return m.delete(key);
        },
      };
    },
  };
  return { storage, entries: (name = DECODER_CACHE) => [...(stores.get(name)?.keys() ?? [])] };
}

function countingFetch(body: (url: string) => Uint8Array<ArrayBuffer> | number) {
  const calls: string[] = [];
  const f = (async (input: string | URL | Request) => {
    const url = String(input);
    calls.push(url);
    const b = body(url);
    return typeof b === "number" ? new Response("no", { status: b }) : new Response(b);
  }) as typeof fetch;
  return { fetch: f, calls };
}

const model = (n: number) => ({ url: `/api/files/models/${n}/decoder.onnx?token=t${Math.random()}`, modelId: `m${n}`, sha256: `sha${n}` });

describe("decoder cache", () => {
  it("downloads once, then serves the same bytes from the cache even under a new signed URL", async () => {
    const c = memoryCaches();
    const net = countingFetch(() => Uint8Array.of(1, 2, 3, 4));
    const first = await loadDecoderBytes(model(1), { caches: c.storage, fetch: net.fetch });
    expect(first).toEqual({ bytes: Uint8Array.of(1, 2, 3, 4), fromCache: false });
    const second = await loadDecoderBytes(model(1), { caches: c.storage, fetch: net.fetch });
    expect(second).toEqual({ bytes: Uint8Array.of(1, 2, 3, 4), fromCache: true });
    expect(net.calls).toHaveLength(1);
    expect(c.entries()).toEqual([decoderCacheKey(model(1))]);
  });

  it("keys by the model id when the file has no hash, and keeps only the newest decoders", async () => {
    const c = memoryCaches();
    const net = countingFetch((url) => Uint8Array.of(url.length));
    expect(decoderCacheKey({ modelId: "a/b", sha256: null })).toBe("/__decoders/model/a%2Fb");
    for (let n = 1; n <= DECODER_CACHE_CAPACITY + 2; n++) await loadDecoderBytes(model(n), { caches: c.storage, fetch: net.fetch });
    const newest = Array.from({ length: DECODER_CACHE_CAPACITY }, (_, i) => decoderCacheKey(model(i + 3)));
    expect(c.entries()).toEqual(newest);
    // An evicted decoder is downloaded again.
    expect((await loadDecoderBytes(model(1), { caches: c.storage, fetch: net.fetch })).fromCache).toBe(false);
  });

  it("forgets a bad copy, and works without the Cache API or with a failing one", async () => {
    const c = memoryCaches();
    const net = countingFetch(() => Uint8Array.of(9));
    await loadDecoderBytes(model(1), { caches: c.storage, fetch: net.fetch });
    await forgetDecoder(model(1), c.storage);
    expect(c.entries()).toEqual([]);

    expect(await loadDecoderBytes(model(2), { caches: null, fetch: net.fetch })).toEqual({ bytes: Uint8Array.of(9), fromCache: false });
    const broken: CacheStorageLike = { open: () => Promise.reject(new Error("quota")) };
    expect(await loadDecoderBytes(model(2), { caches: broken, fetch: net.fetch })).toEqual({ bytes: Uint8Array.of(9), fromCache: false });
  });

  it("names the HTTP status when the download fails, and caches nothing", async () => {
    const c = memoryCaches();
    await expect(loadDecoderBytes(model(1), { caches: c.storage, fetch: countingFetch(() => 403).fetch })).rejects.toThrow(/could not download the decoder \(HTTP 403\)/);
    expect(c.entries()).toEqual([]);
  });
});
