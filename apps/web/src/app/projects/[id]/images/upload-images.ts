// Sends image files to /api/uploads/images, each as the raw body so the server streams it into storage,
// a few at a time.
import { putFile } from "@/client/put-file.ts";

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
  const q = new URLSearchParams({ projectId: target.projectId, batch: target.batchId, index: String(target.index), name: file.name });
  return putFile(`/api/uploads/images?${q}`, file, (e) => onProgress(e.loaded));
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
