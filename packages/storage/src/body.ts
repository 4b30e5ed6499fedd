// Turns every accepted body type into one shape (an async iterable of byte chunks), without reading
// streams ahead: chunks are pulled only as fast as the consumer takes them.
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import type { PutBody } from "./storage.ts";

export function isBytes(body: PutBody): body is Uint8Array | string {
  return typeof body === "string" || body instanceof Uint8Array;
}

export function bytesOf(body: Uint8Array | string): Uint8Array {
  return typeof body === "string" ? Buffer.from(body, "utf8") : body;
}

function isWebStream(body: unknown): body is ReadableStream {
  return typeof (body as { getReader?: unknown }).getReader === "function";
}

/** A Node Readable over any streaming body (web streams are adapted, Node streams passed through). */
export function toNodeReadable(body: NodeJS.ReadableStream | ReadableStream): Readable {
  if (isWebStream(body)) return Readable.fromWeb(body as unknown as NodeWebReadableStream);
  if (body instanceof Readable) return body;
  // An old-style stream (only the NodeJS.ReadableStream interface): wrap it.
  return new Readable().wrap(body);
}

export async function* byteChunks(body: PutBody): AsyncGenerator<Uint8Array> {
  if (isBytes(body)) {
    yield bytesOf(body);
    return;
  }
  for await (const chunk of toNodeReadable(body)) {
    if (typeof chunk === "string") yield Buffer.from(chunk, "utf8");
    else if (chunk instanceof Uint8Array) yield chunk;
    else throw new TypeError(`put(): stream produced a ${typeof chunk} chunk; expected bytes or strings`);
  }
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(
      typeof chunk === "string"
        ? Buffer.from(chunk, "utf8")
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk),
    );
  return Buffer.concat(chunks);
}
