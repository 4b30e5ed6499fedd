import type { ExternalDataFile } from "../runtime/backend.ts";

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/**
 * A short, stable id for a model: "sha256:" + 16 hex digits. With external data the side files are
 * hashed too (models of one architecture whose weights are all external share identical .onnx bytes):
 * the id is then the digest of the concatenated per-file digests. Hashing a multi-GB model takes seconds;
 * pass an explicit `modelId` to skip it.
 */
export async function modelIdFromBytes(bytes: Uint8Array, externalData: readonly ExternalDataFile[] = []): Promise<string> {
  let digest = await sha256(bytes);
  if (externalData.length) {
    const parts = [digest];
    for (const f of [...externalData].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      parts.push(await sha256(new TextEncoder().encode(f.path)), await sha256(f.data));
    }
    const all = new Uint8Array(parts.length * 32);
    parts.forEach((p, i) => all.set(p, i * 32));
    digest = await sha256(all);
  }
  const hex = Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  return `sha256:${hex}`;
}
