// The local backend keeps no metadata besides the bytes, so the content type comes from the key's
// extension; the S3 backend uses the same guess when the caller gives none, so both agree.

const BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  bmp: "image/bmp",
  tif: "image/tiff",
  tiff: "image/tiff",
  avif: "image/avif",
  svg: "image/svg+xml",
  json: "application/json",
  jsonl: "application/jsonl",
  ndjson: "application/x-ndjson",
  txt: "text/plain; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  html: "text/html; charset=utf-8",
  zip: "application/zip",
  gz: "application/gzip",
  tar: "application/x-tar",
  npy: "application/octet-stream",
  onnx: "application/octet-stream",
  bin: "application/octet-stream",
};

export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

export function contentTypeForKey(key: string): string {
  const name = key.slice(key.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return DEFAULT_CONTENT_TYPE;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? DEFAULT_CONTENT_TYPE;
}
