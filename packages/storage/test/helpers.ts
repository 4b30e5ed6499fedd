import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";

/** Deterministic bytes (xorshift32), so a failure is reproducible. */
export function seededBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A Node stream that hands out `data` in `chunkSize` pieces, one per read. */
export function chunkedStream(data: Buffer, chunkSize: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) return void this.push(null);
      this.push(data.subarray(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

/** A unique key prefix per test so tests sharing one backend never see each other's keys. */
export function uniquePrefix(): string {
  return `t-${randomBytes(5).toString("hex")}/`;
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Byte-order sort, the order S3 lists keys in (UTF-8 binary). */
export function byteSorted(keys: string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
