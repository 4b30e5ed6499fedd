import { CheckpointMismatchError } from "./errors.ts";

/*
 * Checkpoint bytes: "SAMTRAIN1\n", a uint32 (little endian) header length, the JSON header, then the
 * float32 tensors back to back (4-byte aligned). The worker stores these bytes wherever it likes.
 */

const MAGIC = "SAMTRAIN1\n";

export interface CheckpointTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface CheckpointContent<M> {
  meta: M;
  tensors: CheckpointTensor[];
}

/** Where a training job keeps its checkpoint (e.g. the product's object storage). */
export interface CheckpointStore {
  /** The latest checkpoint, or null when the job has none yet. */
  load(): Promise<Uint8Array | null>;
  save(bytes: Uint8Array, step: number): Promise<void>;
}

export function encodeCheckpoint<M>(c: CheckpointContent<M>): Uint8Array {
  const entries = c.tensors.map((t) => ({ name: t.name, shape: t.shape, length: t.data.length }));
  const header = new TextEncoder().encode(JSON.stringify({ meta: c.meta, entries }));
  const magic = new TextEncoder().encode(MAGIC);
  let start = magic.length + 4 + header.length;
  start += (4 - (start % 4)) % 4;
  const floats = entries.reduce((a, e) => a + e.length, 0);
  const out = new Uint8Array(start + floats * 4);
  out.set(magic, 0);
  new DataView(out.buffer).setUint32(magic.length, header.length, true);
  out.set(header, magic.length + 4);
  const f = new Float32Array(out.buffer, start, floats);
  let o = 0;
  for (const t of c.tensors) {
    f.set(t.data, o);
    o += t.data.length;
  }
  return out;
}

export function decodeCheckpoint<M>(bytes: Uint8Array): CheckpointContent<M> {
  const magic = new TextEncoder().encode(MAGIC);
  const bad = (why: string) => new CheckpointMismatchError(`not a sam-train checkpoint: ${why}`);
  if (bytes.length < magic.length + 4 || !magic.every((b, i) => bytes[i] === b)) throw bad("wrong magic");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hl = view.getUint32(magic.length, true);
  if (magic.length + 4 + hl > bytes.length) throw bad("truncated header");
  let header: { meta: M; entries: { name: string; shape: number[]; length: number }[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(magic.length + 4, magic.length + 4 + hl)));
  } catch {
    throw bad("unreadable header");
  }
  let start = magic.length + 4 + hl;
  start += (4 - (start % 4)) % 4;
  const floats = header.entries.reduce((a, e) => a + e.length, 0);
  if (start + floats * 4 !== bytes.length)
    throw bad(`expected ${start + floats * 4} bytes, got ${bytes.length}`);
  const copy = new Float32Array(floats);
  new Uint8Array(copy.buffer).set(bytes.subarray(start, start + floats * 4));
  let o = 0;
  const tensors = header.entries.map((e) => {
    const t = { name: e.name, shape: e.shape, data: copy.subarray(o, o + e.length) };
    o += e.length;
    return t;
  });
  return { meta: header.meta, tensors };
}
