// Model files uploaded from the admin console: streamed to the upload folder as they arrive (files of
// several GB never sit in memory while uploading), capped in size, then checked with sam-core's inspect
// so a wrong file is refused at once with what it is instead. The import (models.import) picks them up
// by id and deletes them after.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { WebRuntime } from "../runtime.ts";
import { formatBytes as size, handleAdminUpload, UploadError } from "./upload-http.ts";

/** The largest model file accepted: ViT-H's encoder is 2.5 GB in float32. */
export const MODEL_UPLOAD_MAX_BYTES = 4 * 1024 ** 3;
export type ModelFileRole = "encoder" | "decoder";

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function uploadFile(runtime: Pick<WebRuntime, "uploadDir">, uploadId: string, role: ModelFileRole): string {
  return path.join(runtime.uploadDir, `${uploadId}.${role}.onnx`);
}

export interface ReceivedUpload {
  uploadId: string;
  role: ModelFileRole;
  bytes: number;
  /** What inspect found, e.g. "SAM decoder: embeddings [1,256,64,64], input 1024, 4.1M parameters". */
  description: string;
}

export async function receiveModelUpload(
  runtime: Pick<WebRuntime, "uploadDir" | "models">,
  body: ReadableStream<Uint8Array> | null,
  meta: { role: string | null; fileName: string | null; declaredBytes: number | null; maxBytes?: number },
): Promise<ReceivedUpload> {
  const maxBytes = meta.maxBytes ?? MODEL_UPLOAD_MAX_BYTES;
  const role = meta.role;
  if (role !== "encoder" && role !== "decoder") throw new UploadError(`role must be "encoder" or "decoder", got "${role ?? ""}"`, 400);
  const name = meta.fileName ?? "the file";
  if (!/\.onnx$/i.test(name)) throw new UploadError(`${name} is not an .onnx file: upload the ${role} of a SAM export (for example sam_vit_b_${role}.onnx)`, 415);
  if (meta.declaredBytes !== null && meta.declaredBytes > maxBytes) {
    throw new UploadError(`${name} is ${size(meta.declaredBytes)}, more than the ${size(maxBytes)} a model file may have`, 413);
  }
  if (!body) throw new UploadError(`${name} is empty`, 400);
  await mkdir(runtime.uploadDir, { recursive: true });
  const uploadId = randomUUID();
  const file = uploadFile(runtime, uploadId, role);
  const out = createWriteStream(file);
  let bytes = 0;
  try {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new UploadError(`${name} is more than the ${size(maxBytes)} a model file may have`, 413);
      }
      if (!out.write(value)) await new Promise<void>((resolve) => out.once("drain", resolve));
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (bytes === 0) throw new UploadError(`${name} is empty`, 400);
    let description: string;
    try {
      description = runtime.models.describe(new Uint8Array(await readFile(file)), role);
    } catch (err) {
      throw new UploadError(`${name} is not a SAM ${role}: ${err instanceof Error ? err.message : String(err)}`, 422);
    }
    return { uploadId, role, bytes, description };
  } catch (err) {
    out.destroy();
    await rm(file, { force: true });
    throw err;
  }
}

/** The file of an upload for the import, or a message saying it is gone. */
export async function uploadedModelPath(runtime: Pick<WebRuntime, "uploadDir">, uploadId: string, role: ModelFileRole): Promise<string> {
  if (!UPLOAD_ID.test(uploadId)) throw new UploadError(`"${uploadId}" is not an upload id`, 400);
  const file = uploadFile(runtime, uploadId, role);
  if (!(await stat(file).catch(() => null))?.isFile()) {
    throw new UploadError(`the uploaded ${role} is gone (already imported, or the server was restarted): upload it again`, 404);
  }
  return file;
}

export async function discardUpload(runtime: Pick<WebRuntime, "uploadDir">, uploadId: string, role: ModelFileRole): Promise<void> {
  if (UPLOAD_ID.test(uploadId)) await rm(uploadFile(runtime, uploadId, role), { force: true });
}

/**
 * PUT /api/uploads/models?role=encoder|decoder&name=FILE.onnx with the file as the raw body (the browser
 * sends it with XMLHttpRequest, which reports upload progress). Administrators only; errors as
 * `{ error }` JSON with a message for the page.
 */
export function handleModelUpload(runtime: WebRuntime, req: Request): Promise<Response> {
  const messages = {
    expired: "Your session has expired: sign in again, then upload the file again.",
    forbidden: "Only administrators can upload models.",
  };
  return handleAdminUpload(runtime, req, messages, (query, declaredBytes) =>
    receiveModelUpload(runtime, req.body, { role: query.get("role"), fileName: query.get("name"), declaredBytes }),
  );
}
