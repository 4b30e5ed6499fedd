/** A short, stable id for model bytes: "sha256:" + the first 16 hex digits of the SHA-256 digest. */
export async function modelIdFromBytes(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  const hex = Array.from(new Uint8Array(digest).subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  return `sha256:${hex}`;
}
