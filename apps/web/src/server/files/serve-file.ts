// Serves a stored file for a `/api/files/<key>?token=` URL: only with a valid, unexpired token minted for
// exactly that key. Nothing else about the request (cookies, session) grants access. Only types come from
// @data-engine/storage: its runtime (with the S3 SDK) stays out of the Next bundle (see runtime.ts).
import { Readable } from "node:stream";
import type { WebRuntime } from "../runtime.ts";

function plain(status: number, message: string): Response {
  return new Response(message, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}

export async function serveSignedFile(
  runtime: Pick<WebRuntime, "storage" | "urlSigner">,
  key: string,
  token: string | null,
): Promise<Response> {
  if (!token) return plain(401, "Missing token: file URLs are issued by the API and expire");
  if (!runtime.urlSigner.verify(key, "GET", token)) return plain(403, "Invalid or expired file token");
  const info = await runtime.storage.head(key);
  if (!info) return plain(404, "No such file");
  try {
    const stream = await runtime.storage.get(key);
    return new Response(Readable.toWeb(stream as Readable) as ReadableStream<Uint8Array>, {
      headers: {
        "content-type": info.contentType ?? "application/octet-stream",
        "content-length": String(info.size),
        // The token is in the URL, so the browser may cache this response for as long as the URL lives.
        "cache-control": "private, max-age=600",
      },
    });
  } catch (err) {
    if ((err as Error).name === "StorageNotFoundError") return plain(404, "No such file");
    throw err;
  }
}
