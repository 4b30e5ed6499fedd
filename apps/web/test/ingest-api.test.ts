// Image import from the admin console: browser uploads streamed into storage under the batch's prefix
// (non-images, oversized files and non-admins refused with a message), the INGEST job queued with
// parameters the worker's own schema accepts, and the per-file outcomes read back from the job's items.
import { readFile } from "node:fs/promises";
import { TRPCError } from "@trpc/server";
import { ingestParams } from "@data-engine/worker";
import { describe, expect, it } from "vitest";
import { UploadError } from "../src/server/files/upload-http.ts";
import {
  handleImageUpload, imageUploadKey, receiveImageUpload, safeFileName, sniffImageFormat, uploadBatchPrefix,
} from "../src/server/files/image-uploads.ts";
import { fx, t, useApiWorld } from "./support/api-world.ts";

useApiWorld();

const SAMPLES = new URL("../../worker/seed/samples/", import.meta.url);
const sample = async (name: string) => new Uint8Array(await readFile(new URL(name, SAMPLES)));
const stream = (bytes: Uint8Array) => new Response(bytes as Uint8Array<ArrayBuffer>).body;
/** A stream that sends `bytes` in chunks of `size`, as a slow browser upload would. */
const chunked = (bytes: Uint8Array, size: number) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
      c.close();
    },
  });
const batch = () => crypto.randomUUID().replace(/-/g, "");
const text = (s: string) => new TextEncoder().encode(s);

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!(err instanceof TRPCError)) throw new Error(`expected a TRPCError, got ${String(err)}`);
  return { code: err.code, message: err.message };
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const e of t.runtime.storage.list(prefix)) keys.push(e.key);
  return keys.sort();
}

describe("image uploads", () => {
  it("recognises the accepted formats by their first bytes, and nothing else", async () => {
    expect(sniffImageFormat(await sample("dog.jpg"))).toBe("JPEG");
    expect(sniffImageFormat(await sample("coins.png"))).toBe("PNG");
    expect(sniffImageFormat(text("GIF89a......"))).toBe("GIF");
    expect(sniffImageFormat(text("RIFF\0\0\0\0WEBPVP8 "))).toBe("WebP");
    expect(sniffImageFormat(text("\0\0\0\x1cftypavif\0\0"))).toBe("AVIF");
    expect(sniffImageFormat(text("\0\0\0\x18ftypheic\0\0"))).toBe("HEIF");
    expect(sniffImageFormat(text("\0\0\0\x18ftypisom\0\0"))).toBeNull(); // an MP4 video
    expect(sniffImageFormat(text("hello, world"))).toBeNull();
    expect(sniffImageFormat(text("%PDF-1.7"))).toBeNull();
  });

  it("keeps file names usable as one storage key segment the ingest source will not skip", () => {
    expect(safeFileName("../../etc/passwd")).toBe("_.._etc_passwd");
    expect(safeFileName(".hidden.png")).toBe("hidden.png");
    expect(safeFileName("a\nb\\c.jpg")).toBe("a_b_c.jpg");
    expect(safeFileName("...")).toBe("image");
    expect(imageUploadKey("p1", "b".repeat(32), 3, "dog.jpg")).toBe(`uploads/p1/${"b".repeat(32)}/3/dog.jpg`);
  });

  it("streams an image into storage under the batch prefix, byte for byte, even in small chunks", async () => {
    const dog = await sample("dog.jpg");
    const batchId = batch();
    const got = await receiveImageUpload(t.runtime, chunked(dog, 7), { projectId: fx.projectId, batchId, index: 0, fileName: "dog.jpg", declaredBytes: null });
    expect(got).toEqual({ key: `${uploadBatchPrefix(fx.projectId, batchId)}0/dog.jpg`, fileName: "dog.jpg", bytes: dog.length, format: "JPEG" });
    expect(Buffer.compare(await t.runtime.storage.getBytes(got.key), Buffer.from(dog))).toBe(0);
    // Two files of one name in one batch stay apart.
    const again = await receiveImageUpload(t.runtime, stream(dog), { projectId: fx.projectId, batchId, index: 1, fileName: "dog.jpg", declaredBytes: dog.length });
    expect(await keysUnder(uploadBatchPrefix(fx.projectId, batchId))).toEqual([got.key, again.key].sort());
  });

  it("refuses non-images, empty and oversized files with a clear message and stores nothing of them", async () => {
    const batchId = batch();
    const meta = { projectId: fx.projectId, batchId, index: 0, declaredBytes: null };
    const refused = (body: ReadableStream<Uint8Array> | null, extra: { fileName: string; maxBytes?: number; declaredBytes?: number }) =>
      receiveImageUpload(t.runtime, body, { ...meta, ...extra }).then(
        () => { throw new Error("accepted"); },
        (e: unknown) => (e instanceof UploadError ? { status: e.status, message: e.message } : Promise.reject(e)),
      );
    expect(await refused(stream(text("shopping list\n- eggs\n")), { fileName: "notes.txt" })).toEqual({
      status: 415, message: "notes.txt is text, not an image: upload JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF files",
    });
    expect((await refused(stream(text("%PDF-1.7 ...")), { fileName: "scan.pdf" })).message).toMatch(/^scan\.pdf is a PDF document, not an image/);
    expect(await refused(stream(new Uint8Array(0)), { fileName: "zero.png" })).toEqual({ status: 400, message: "zero.png is empty" });
    expect(await refused(stream(text("x")), { fileName: "big.jpg", declaredBytes: 300 * 1024 ** 2 })).toEqual({
      status: 413, message: "big.jpg is 300.0 MB, more than the 256.0 MB an image may have",
    });
    // No Content-Length (chunked transfer): the limit is enforced while streaming.
    const dog = await sample("dog.jpg");
    const streamed = await refused(chunked(dog, 4096), { fileName: "dog.jpg", maxBytes: 50_000 });
    expect(streamed).toEqual({ status: 413, message: "dog.jpg is more than the 49 KB an image may have" });
    expect(await keysUnder(uploadBatchPrefix(fx.projectId, batchId))).toEqual([]);
    const badBatch = await receiveImageUpload(t.runtime, stream(dog), { ...meta, batchId: "../x", fileName: "dog.jpg" }).catch((e: unknown) => e);
    expect(badBatch).toMatchObject({ status: 400, message: '"../x" is not an upload batch id' });
  });

  it("the upload handler admits administrators only, for an existing project, and answers errors as JSON", async () => {
    const dog = await sample("dog.jpg");
    const put = (cookie: string | null, query: string, body: Uint8Array) =>
      handleImageUpload(t.runtime, new Request(`http://localhost/api/uploads/images?${query}`, { method: "PUT", body: body as Uint8Array<ArrayBuffer>, headers: cookie ? { cookie } : {} }));
    const batchId = batch();
    const q = (name: string, index = 0, projectId = fx.projectId) => `projectId=${projectId}&batch=${batchId}&index=${index}&name=${encodeURIComponent(name)}`;
    const anonymous = await put(null, q("dog.jpg"), dog);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error).toMatch(/sign in again/);
    expect((await put(await t.cookieFor(fx.reviewer), q("dog.jpg"), dog)).status).toBe(403);
    expect((await put(await t.cookieFor(fx.annotator), q("dog.jpg"), dog)).status).toBe(403);
    const admin = await t.cookieFor(fx.admin);
    const missing = await put(admin, q("dog.jpg", 0, "no-such-project"), dog);
    expect(missing.status).toBe(404);
    const ok = await put(admin, q("my dog.jpg"), dog);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ fileName: "my dog.jpg", bytes: dog.length, format: "JPEG" });
    const notImage = await put(admin, q("notes.txt", 1), text("not a picture"));
    expect(notImage.status).toBe(415);
    expect((await notImage.json()).error).toMatch(/^notes\.txt is text, not an image/);
    expect(await keysUnder(uploadBatchPrefix(fx.projectId, batchId))).toEqual([`${uploadBatchPrefix(fx.projectId, batchId)}0/my dog.jpg`]);
  });
});

describe("ingest.start", () => {
  it("queues an INGEST job of the uploaded batch with parameters the worker accepts, once per batch", async () => {
    const batchId = batch();
    await receiveImageUpload(t.runtime, stream(await sample("coins.png")), { projectId: fx.projectId, batchId, index: 0, fileName: "coins.png", declaredBytes: null });
    const admin = await t.callerFor(fx.admin);
    const before = t.enqueued.length;
    const { jobId } = await admin.ingest.start({ projectId: fx.projectId, source: { kind: "upload", batchId } });
    expect(t.enqueued.length).toBe(before + 1);
    const request = t.enqueued.at(-1)!;
    expect(request).toMatchObject({ type: "INGEST", projectId: fx.projectId, createdById: fx.admin });
    expect(ingestParams.parse(request.params).source).toEqual({ kind: "upload", prefix: uploadBatchPrefix(fx.projectId, batchId), deleteAfterImport: true });
    // A double click does not import the batch twice.
    expect(await admin.ingest.start({ projectId: fx.projectId, source: { kind: "upload", batchId } })).toEqual({ jobId });
    expect(t.enqueued.length).toBe(before + 1);
    expect(await t.runtime.prisma.auditLog.count({ where: { action: "images.import", entityId: jobId, actorId: fx.admin } })).toBe(1);
  });

  it("refuses a batch with no file, a relative folder and a bad bucket, with the reason", async () => {
    const admin = await t.callerFor(fx.admin);
    const empty = await failure(admin.ingest.start({ projectId: fx.projectId, source: { kind: "upload", batchId: batch() } }));
    expect(empty).toEqual({ code: "PRECONDITION_FAILED", message: "No file of this upload arrived: upload the images again" });
    const relative = await failure(admin.ingest.start({ projectId: fx.projectId, source: { kind: "folder", path: "photos" } }));
    expect(relative.code).toBe("BAD_REQUEST");
    expect(relative.message).toMatch(/absolute path/);
    expect((await failure(admin.ingest.start({ projectId: fx.projectId, source: { kind: "s3", bucket: "no spaces", prefix: "" } }))).code).toBe("BAD_REQUEST");
    expect((await failure(admin.ingest.start({ projectId: "no-such-project", source: { kind: "folder", path: "/srv" } }))).code).toBe("NOT_FOUND");
  });

  it("queues folder and S3-prefix imports as the worker's folder and s3 sources", async () => {
    const admin = await t.callerFor(fx.admin);
    await admin.ingest.start({ projectId: fx.projectId, source: { kind: "folder", path: "/srv/photos", recursive: false } });
    expect(ingestParams.parse(t.enqueued.at(-1)!.params).source).toEqual({ kind: "folder", path: "/srv/photos", recursive: false, origin: "FOLDER" });
    await admin.ingest.start({ projectId: fx.projectId, source: { kind: "s3", bucket: "field-photos", prefix: "2024/" } });
    expect(ingestParams.parse(t.enqueued.at(-1)!.params).source).toEqual({ kind: "s3", bucket: "field-photos", prefix: "2024/" });
    await admin.ingest.start({ projectId: fx.projectId, source: { kind: "s3", prefix: "incoming/" } });
    expect(ingestParams.parse(t.enqueued.at(-1)!.params).source).toEqual({ kind: "s3", prefix: "incoming/" });
  });
});

describe("ingest.get and ingest.list", () => {
  it("reports each file's outcome by the name it was uploaded with, problems first, with counts", async () => {
    const { prisma } = t.runtime;
    const prefix = uploadBatchPrefix(fx.projectId, batch());
    const job = await prisma.job.create({
      data: {
        projectId: fx.projectId, type: "INGEST", status: "SUCCEEDED", progress: 100, params: { source: { kind: "upload", prefix } },
        result: { summary: "1 imported, 1 duplicates skipped, 1 rejected" },
      },
    });
    // The rows the worker's ingest handler writes (apps/worker/src/jobs/ingest/handler.ts).
    await prisma.jobItem.createMany({
      data: [
        { jobId: job.id, key: `${prefix}0/b.png`, status: "DONE", result: { imageId: fx.imageId } },
        { jobId: job.id, key: `${prefix}1/a.jpg`, status: "SKIPPED", message: 'duplicate of image "x.jpg"', result: { duplicateOf: fx.otherImageId } },
        { jobId: job.id, key: `${prefix}2/c.gif`, status: "FAILED", message: "the GIF file is truncated or corrupt" },
        { jobId: job.id, key: "~embed", status: "DONE", result: { jobId: "j" } },
      ],
    });
    const admin = await t.callerFor(fx.admin);
    const got = await admin.ingest.get({ projectId: fx.projectId, jobId: job.id });
    expect(got.counts).toEqual({ imported: 1, duplicate: 1, rejected: 1, pending: 0 });
    expect(got.files.map((f) => [f.name, f.outcome, f.message, f.imageId])).toEqual([
      ["c.gif", "rejected", "the GIF file is truncated or corrupt", null],
      ["a.jpg", "duplicate", 'duplicate of image "x.jpg"', fx.otherImageId],
      ["b.png", "imported", null, fx.imageId],
    ]);
    expect(got.source).toEqual({ kind: "upload", label: "browser upload" });
    expect(got.job).toMatchObject({ id: job.id, status: "SUCCEEDED", progress: 100 });

    const list = await admin.ingest.list({ projectId: fx.projectId });
    expect(list[0]).toMatchObject({ id: job.id, source: "browser upload", summary: "1 imported, 1 duplicates skipped, 1 rejected" });
    expect(list.every((j) => j.source.length > 0)).toBe(true);

    // Another project's import is not reachable through this one, nor a job of another type.
    const other = await prisma.job.create({ data: { projectId: fx.otherProjectId, type: "INGEST" } });
    expect((await failure(admin.ingest.get({ projectId: fx.projectId, jobId: other.id }))).code).toBe("NOT_FOUND");
    expect((await failure(admin.ingest.get({ projectId: fx.projectId, jobId: fx.jobId }))).code).toBe("NOT_FOUND");
  });
});
