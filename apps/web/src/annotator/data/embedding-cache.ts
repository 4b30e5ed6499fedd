// Embeddings cached in the browser (Cache API), keyed by model and image rather than by the short-lived
// signed URL, least recently used evicted beyond a count. Without the Cache API (insecure origins) every
// open downloads again.
import { parseIndex, touch } from "./lru.ts";

export const EMBEDDING_CACHE = "sam-embeddings-v1";
const INDEX_KEY = "sam-embeddings-v1:lru";
export const EMBEDDING_CACHE_CAPACITY = 24;

function cacheKey(modelVersionId: string, imageId: string): string {
  return `/__embeddings/${encodeURIComponent(modelVersionId)}/${encodeURIComponent(imageId)}`;
}

function hasCacheApi(): boolean {
  return typeof caches !== "undefined";
}

async function markUsed(key: string): Promise<void> {
  const { index, evict } = touch(parseIndex(localStorage.getItem(INDEX_KEY)), key, Date.now(), EMBEDDING_CACHE_CAPACITY);
  localStorage.setItem(INDEX_KEY, JSON.stringify(index));
  if (evict.length) {
    const cache = await caches.open(EMBEDDING_CACHE);
    await Promise.all(evict.map((k) => cache.delete(k)));
  }
}

export async function cachedEmbedding(modelVersionId: string, imageId: string): Promise<ArrayBuffer | null> {
  if (!hasCacheApi()) return null;
  const key = cacheKey(modelVersionId, imageId);
  const hit = await (await caches.open(EMBEDDING_CACHE)).match(key);
  if (!hit) return null;
  await markUsed(key);
  return hit.arrayBuffer();
}

/** Downloads the embedding from its signed URL and caches it; returns the bytes. */
export async function fetchEmbedding(modelVersionId: string, imageId: string, url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not download the image's embedding (HTTP ${res.status})`);
  const bytes = await res.arrayBuffer();
  if (hasCacheApi()) {
    const key = cacheKey(modelVersionId, imageId);
    await (await caches.open(EMBEDDING_CACHE)).put(key, new Response(bytes.slice(0), { headers: { "content-type": "application/octet-stream" } }));
    await markUsed(key);
  }
  return bytes;
}

export async function isCached(modelVersionId: string, imageId: string): Promise<boolean> {
  if (!hasCacheApi()) return false;
  return (await (await caches.open(EMBEDDING_CACHE)).match(cacheKey(modelVersionId, imageId))) !== undefined;
}
