// Decoded images by URL, so the next masks' photos are fetched and decoded before the reviewer gets to
// them (prefetch) and moving back and forth never reloads them. Bounded: the oldest entries go first.

const MAX_ENTRIES = 24;
const cache = new Map<string, Promise<HTMLImageElement>>();

export class ImageLoadError extends Error {
  override name = "ImageLoadError";
}

export function loadImage(url: string): Promise<HTMLImageElement> {
  const hit = cache.get(url);
  if (hit) {
    cache.delete(url);
    cache.set(url, hit);
    return hit;
  }
  const promise = new Promise<HTMLImageElement>((resolve, reject) => {
    const img = new Image();
    img.decoding = "async";
    img.onload = () => resolve(img);
    img.onerror = () => reject(new ImageLoadError(`Could not load the image (${url.split("?")[0]})`));
    img.src = url;
  });
  promise.catch(() => cache.delete(url));
  cache.set(url, promise);
  while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return promise;
}

/** Starts loading images the reviewer will see next; errors surface when they are shown. */
export function prefetchImages(urls: readonly string[]): void {
  for (const url of urls) loadImage(url).catch(() => undefined);
}
