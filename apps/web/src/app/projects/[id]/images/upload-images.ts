// Sends image files to /api/uploads/images with XMLHttpRequest (fetch has no upload progress), each as
// the raw body so the server streams it into storage, a few at a time.

export interface UploadedImage {
  key: string;
  fileName: string;
  bytes: number;
  format: string;
}

/** 32 hex digits naming one upload batch (crypto.getRandomValues works on plain-http pages too). */
export function newBatchId(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function uploadImage(
  target: { projectId: string; batchId: string; index: number },
  file: File,
  onProgress: (loaded: number) => void,
): Promise<UploadedImage> {
  return new Promise((resolve, reject) => {
    const q = new URLSearchParams({ projectId: target.projectId, batch: target.batchId, index: String(target.index), name: file.name });
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `/api/uploads/images?${q}`);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      const body = xhr.response as (UploadedImage & { error?: string }) | null;
      if (xhr.status === 200 && body) resolve(body);
      else reject(new Error(body?.error ?? `the upload of ${file.name} failed (HTTP ${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error(`the upload of ${file.name} was interrupted (network error)`));
    xhr.send(file);
  });
}

/** Runs `task` over the items with at most `limit` running at once. */
export async function eachLimited<T>(items: T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
