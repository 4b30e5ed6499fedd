// Streams onnxruntime-web's runtime files (the wasm binaries and the .mjs glue that loads them) from its
// package folder, so the browser fetches them from this origin (cross-origin isolation forbids others).
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";

/** Exactly the files onnxruntime-web loads at run time; anything else is refused. */
export const ORT_FILE = /^ort-wasm-simd-threaded(?:\.(?:jsep|asyncify|jspi))?\.(?:mjs|wasm)$/;

export async function serveOrtFile(distDir: string, file: string): Promise<Response> {
  if (!ORT_FILE.test(file)) return new Response("Not found", { status: 404 });
  const full = path.join(distDir, file);
  const info = await stat(full).catch(() => null);
  if (!info?.isFile()) return new Response("Not found", { status: 404 });
  return new Response(Readable.toWeb(createReadStream(full)) as ReadableStream<Uint8Array>, {
    headers: {
      "content-type": file.endsWith(".wasm") ? "application/wasm" : "text/javascript; charset=utf-8",
      "content-length": String(info.size),
      "cache-control": "public, max-age=86400",
    },
  });
}
