// Short-lived URLs for stored files: presigned S3 URLs, or `/api/files/<key>?token=` on the local
// backend, where the files route checks the HMAC token before serving anything.
import type { WebRuntime } from "../runtime.ts";

/** How long a URL handed to the browser stays valid. */
export const FILE_URL_SECONDS = 15 * 60;

export function localFilePath(key: string): string {
  return `/api/files/${key.split("/").map(encodeURIComponent).join("/")}`;
}

export async function signedFileUrl(
  runtime: Pick<WebRuntime, "storage" | "urlSigner">,
  key: string,
  expiresInSeconds = FILE_URL_SECONDS,
): Promise<string> {
  const { storage } = runtime;
  if (storage.kind === "s3" && storage.signedUrl) {
    return storage.signedUrl(key, { method: "GET", expiresInSeconds });
  }
  const token = runtime.urlSigner.sign(key, "GET", expiresInSeconds);
  return `${localFilePath(key)}?token=${token}`;
}
