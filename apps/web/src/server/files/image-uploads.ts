// Images uploaded from a project's Images page: each file is streamed into storage under the batch's
// prefix (uploads/<project>/<batch>/<n>/<file name>) as it arrives, where the worker's INGEST job with an
// "upload" source picks the batch up. Files that are not images by their first bytes, or are over the
// size limit, are refused here at once with a message for the page; the ingest job still decodes each
// file and rejects corrupt ones per file with the reason.
import type { WebRuntime } from "../runtime.ts";
import { formatBytes as size, handleAdminUpload, UploadError } from "./upload-http.ts";

/** The largest image file accepted: the ingest job's default maxFileBytes, so what is accepted here is read there. */
export const IMAGE_UPLOAD_MAX_BYTES = 256 * 1024 * 1024;
export const ACCEPTED_IMAGE_FORMATS = "JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF";

/** Batch ids are made by the page (32 hex digits); the server only checks their shape. */
export const BATCH_ID = /^[0-9a-f]{32}$/;
const MAX_FILES_PER_BATCH = 100_000;
/** Enough bytes to recognise every accepted format. */
const SNIFF_BYTES = 16;

export function uploadBatchPrefix(projectId: string, batchId: string): string {
  return `uploads/${projectId}/${batchId}/`;
}

/**
 * A file name that is one valid storage key segment and is not skipped by the ingest source (which
 * ignores hidden files): no slashes or control characters, no leading dot.
 */
export function safeFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[\u0000-\u001f\u007f/\\]/g, "_").replace(/^\.+/, "").trim().slice(0, 200);
  return cleaned || "image";
}

/** The stored key of the batch's file number `index` (the number keeps two files of one name apart). */
export function imageUploadKey(projectId: string, batchId: string, index: number, fileName: string): string {
  return `${uploadBatchPrefix(projectId, batchId)}${index}/${safeFileName(fileName)}`;
}

/** The accepted image format the bytes start with, or null (sharp decides later whether the rest is sound). */
export function sniffImageFormat(head: Uint8Array): string | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "JPEG";
  if (head.length >= 8 && head[0] === 0x89 && ascii(1, 8) === "PNG\r\n\x1a\n") return "PNG";
  if (head.length >= 6 && /^GIF8[79]a$/.test(ascii(0, 6))) return "GIF";
  if (head.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "WebP";
  if (head.length >= 4 && (ascii(0, 4) === "II*\0" || ascii(0, 4) === "MM\0*")) return "TIFF";
  // ISO base media files: the "ftyp" box names the brand.
  if (head.length >= 12 && ascii(4, 8) === "ftyp") {
    const brand = ascii(8, 12);
    if (brand === "avif" || brand === "avis") return "AVIF";
    if (["heic", "heix", "hevc", "heim", "heis", "mif1", "msf1"].includes(brand)) return "HEIF";
  }
  return null;
}

/** What a refused file looks like instead, so the message helps ("notes.txt is text, not an image"). */
function describeNonImage(head: Uint8Array): string {
  if (head.length >= 4 && String.fromCharCode(...head.subarray(0, 4)) === "%PDF") return "a PDF document";
  if (head.length >= 2 && head[0] === 0x50 && head[1] === 0x4b) return "a ZIP archive";
  const printable = [...head].every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) || b >= 0x80);
  return printable ? "text" : "not an image";
}

export interface ReceivedImage {
  key: string;
  /** The name the image will have in the project. */
  fileName: string;
  bytes: number;
  format: string;
}

export interface ImageUploadMeta {
  projectId: string;
  batchId: string | null;
  index: number;
  fileName: string | null;
  declaredBytes: number | null;
  maxBytes?: number;
}

export async function receiveImageUpload(
  runtime: Pick<WebRuntime, "storage">,
  body: ReadableStream<Uint8Array> | null,
  meta: ImageUploadMeta,
): Promise<ReceivedImage> {
  const maxBytes = meta.maxBytes ?? IMAGE_UPLOAD_MAX_BYTES;
  if (!meta.batchId || !BATCH_ID.test(meta.batchId)) throw new UploadError(`"${meta.batchId ?? ""}" is not an upload batch id`, 400);
  if (!Number.isInteger(meta.index) || meta.index < 0 || meta.index >= MAX_FILES_PER_BATCH) {
    throw new UploadError(`index must be a whole number below ${MAX_FILES_PER_BATCH}`, 400);
  }
  const name = meta.fileName?.trim() || "the file";
  if (meta.declaredBytes !== null && meta.declaredBytes > maxBytes) {
    throw new UploadError(`${name} is ${size(meta.declaredBytes)}, more than the ${size(maxBytes)} an image may have`, 413);
  }
  if (!body) throw new UploadError(`${name} is empty`, 400);

  const reader = body.getReader();
  // The first bytes decide whether the file is stored at all.
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < SNIFF_BYTES) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    head.push(value);
    headBytes += value.byteLength;
  }
  if (headBytes === 0) throw new UploadError(`${name} is empty`, 400);
  const first = Buffer.concat(head);
  const format = sniffImageFormat(first);
  if (!format) {
    await reader.cancel().catch(() => undefined);
    throw new UploadError(`${name} is ${describeNonImage(first.subarray(0, 512))}, not an image: upload ${ACCEPTED_IMAGE_FORMATS} files`, 415);
  }

  if (headBytes > maxBytes) throw new UploadError(`${name} is more than the ${size(maxBytes)} an image may have`, 413);

  let bytes = 0;
  let overLimit = false;
  const counted = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of head) controller.enqueue(chunk);
      bytes = headBytes;
      if (ended) controller.close();
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        overLimit = true;
        await reader.cancel().catch(() => undefined);
        return controller.error(new UploadError(`${name} is more than the ${size(maxBytes)} an image may have`, 413));
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const key = imageUploadKey(meta.projectId, meta.batchId, meta.index, name);
  try {
    await runtime.storage.put(key, counted, { contentType: `image/${format.toLowerCase()}` });
  } catch (err) {
    await runtime.storage.delete(key).catch(() => undefined);
    if (overLimit) throw new UploadError(`${name} is more than the ${size(maxBytes)} an image may have`, 413);
    throw err;
  }
  return { key, fileName: safeFileName(name), bytes, format };
}

/**
 * PUT /api/uploads/images?projectId=&batch=&index=&name= with the file as the raw body (sent with
 * XMLHttpRequest for upload progress). Administrators only; errors as `{ error }` JSON for the page.
 */
export function handleImageUpload(runtime: WebRuntime, req: Request): Promise<Response> {
  const messages = {
    expired: "Your session has expired: sign in again, then upload the files again.",
    forbidden: "Only administrators can import images.",
  };
  return handleAdminUpload(runtime, req, messages, async (query, declaredBytes) => {
    const projectId = query.get("projectId") ?? "";
    const project = projectId ? await runtime.prisma.project.findUnique({ where: { id: projectId }, select: { id: true } }) : null;
    if (!project) throw new UploadError(`Project "${projectId}" does not exist.`, 404);
    return receiveImageUpload(runtime, req.body, {
      projectId: project.id,
      batchId: query.get("batch"),
      index: Number(query.get("index") ?? "-1"),
      fileName: query.get("name"),
      declaredBytes,
    });
  });
}
