// A streaming writer of POSIX ustar archives: file headers and contents are produced one file at a time,
// so an archive of any size passes through a constant amount of memory.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";

const BLOCK = 512;

export interface TarEntry {
  /** Path inside the archive ("/"-separated). */
  name: string;
  /** File on disk holding the contents. */
  file: string;
}

export function tarStream(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>, mtime = 0): Readable {
  return Readable.from(generate(entries, mtime), { objectMode: false });
}

async function* generate(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>, mtime: number): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    const { size } = await stat(entry.file);
    yield header(entry.name, size, mtime);
    for await (const chunk of createReadStream(entry.file)) yield chunk as Buffer;
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(2 * BLOCK);
}

function header(path: string, size: number, mtime: number): Buffer {
  const { name, prefix } = splitName(path);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, "utf8");
  writeOctal(h, 100, 8, 0o644);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, mtime);
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h.write("0", 156, 1, "ascii");
  h.write("ustar\0", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return h;
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  if (value >= 8 ** (length - 1)) throw new Error(`tar: value ${value} does not fit in ${length - 1} octal digits`);
  buf.write(value.toString(8).padStart(length - 1, "0") + "\0", offset, length, "ascii");
}

/** ustar stores paths longer than 100 bytes as prefix (<=155) + "/" + name (<=100). */
function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) {
    const prefix = parts.slice(0, i).join("/");
    const name = parts.slice(i).join("/");
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`tar: path "${path}" is too long for a ustar archive`);
}
