import { EmbeddingFormatError } from "./errors.ts";
import type { SamEmbedding } from "./embedding.ts";
import { decodeFloat16, encodeFloat16 } from "./float16.ts";

/*
 * Binary layout (little-endian), version 1:
 *   0  4  magic "SAME"
 *   4  2  version (1)
 *   6  1  dtype: 1 = float16, 2 = float32
 *   7  1  rank (4)
 *   8  4*rank  dims (u32)
 *   .  4  original height, 4 original width, 4 input size S (u32)
 *   .  2  model id byte length, then the UTF-8 model id
 *   .  zero padding to a multiple of 4, then the element data
 * Data starts 4-aligned so a reader may view it in place.
 */
const MAGIC = [0x53, 0x41, 0x4d, 0x45];
export const EMBEDDING_FORMAT_VERSION = 1;
const DTYPE_CODES = { float16: 1, float32: 2 } as const;
export type EmbeddingDtype = keyof typeof DTYPE_CODES;

export interface EncodeEmbeddingOptions {
  /** float16 (default) halves the size at ~1e-3 relative precision; float32 is lossless. */
  dtype?: EmbeddingDtype;
}

export function encodeEmbedding(embedding: SamEmbedding, options: EncodeEmbeddingOptions = {}): Uint8Array {
  const dtype = options.dtype ?? "float16";
  const { shape, data } = embedding;
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new EmbeddingFormatError(`embedding data has ${data.length} values but shape [${shape.join(",")}] needs ${count}`);
  }
  const id = new TextEncoder().encode(embedding.modelId);
  if (id.length > 0xffff) throw new EmbeddingFormatError("embedding model id is longer than 65535 bytes");
  const headerLen = align4(8 + 4 * shape.length + 12 + 2 + id.length);
  const elemSize = dtype === "float16" ? 2 : 4;
  const out = new Uint8Array(headerLen + count * elemSize);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(4, EMBEDDING_FORMAT_VERSION, true);
  view.setUint8(6, DTYPE_CODES[dtype]);
  view.setUint8(7, shape.length);
  let o = 8;
  for (const d of shape) {
    view.setUint32(o, d, true);
    o += 4;
  }
  view.setUint32(o, embedding.originalSize[0], true);
  view.setUint32(o + 4, embedding.originalSize[1], true);
  view.setUint32(o + 8, embedding.inputSize, true);
  view.setUint16(o + 12, id.length, true);
  out.set(id, o + 14);
  // Write element data little-endian regardless of the platform's byte order.
  if (dtype === "float16") {
    const halves = encodeFloat16(data);
    for (let i = 0; i < count; i++) view.setUint16(headerLen + 2 * i, halves[i]!, true);
  } else {
    for (let i = 0; i < count; i++) view.setFloat32(headerLen + 4 * i, data[i]!, true);
  }
  return out;
}

export interface DecodedEmbedding extends SamEmbedding {
  /** The dtype it was stored in. */
  storedDtype: EmbeddingDtype;
}

export function decodeEmbedding(bytes: Uint8Array): DecodedEmbedding {
  const fail = (why: string): never => {
    throw new EmbeddingFormatError(`not a valid SAM embedding blob: ${why}`);
  };
  if (bytes.length < 8) fail(`only ${bytes.length} bytes`);
  if (MAGIC.some((m, i) => bytes[i] !== m)) fail('wrong magic (expected "SAME")');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== EMBEDDING_FORMAT_VERSION) fail(`unsupported version ${version} (this reader knows ${EMBEDDING_FORMAT_VERSION})`);
  const code = view.getUint8(6);
  const storedDtype = (Object.keys(DTYPE_CODES) as EmbeddingDtype[]).find((k) => DTYPE_CODES[k] === code);
  if (!storedDtype) fail(`unknown dtype code ${code}`);
  const rank = view.getUint8(7);
  if (rank !== 4) fail(`rank ${rank}, expected 4 ([1,C,h,w])`);
  const fixedEnd = 8 + 4 * rank + 14;
  if (bytes.length < fixedEnd) fail("truncated header");
  const shape = [0, 0, 0, 0].map((_, i) => view.getUint32(8 + 4 * i, true)) as [number, number, number, number];
  let o = 8 + 4 * rank;
  const originalSize: [number, number] = [view.getUint32(o, true), view.getUint32(o + 4, true)];
  const inputSize = view.getUint32(o + 8, true);
  const idLen = view.getUint16(o + 12, true);
  o += 14;
  if (bytes.length < o + idLen) fail("truncated header (model id)");
  let modelId = "";
  try {
    modelId = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(o, o + idLen));
  } catch {
    fail("model id is not valid UTF-8");
  }
  const headerLen = align4(o + idLen);
  if (shape[0] !== 1 || shape.some((d) => d === 0)) fail(`shape [${shape.join(",")}] is not [1,C,h,w]`);
  if (originalSize[0] === 0 || originalSize[1] === 0 || inputSize === 0) fail("zero image size in header");
  const count = shape.reduce((a, b) => a * b, 1);
  const elemSize = storedDtype === "float16" ? 2 : 4;
  const expected = headerLen + count * elemSize;
  if (bytes.length !== expected) {
    fail(`${bytes.length} bytes but shape [${shape.join(",")}] in ${storedDtype} needs ${expected} (truncated or shape mismatch)`);
  }
  const data = new Float32Array(count);
  if (storedDtype === "float16") {
    const halves = new Uint16Array(count);
    for (let i = 0; i < count; i++) halves[i] = view.getUint16(headerLen + 2 * i, true);
    decodeFloat16(halves, data);
  } else {
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(headerLen + 4 * i, true);
  }
  return { data, shape, originalSize, inputSize, modelId, storedDtype: storedDtype! };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
