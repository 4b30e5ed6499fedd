// Models from the admin console: importing a SAM export pair from server paths or from browser uploads
// (through the worker's registration, checked with sam-core's inspect), clear refusals for a wrong,
// oversized or non-ONNX file, and building a demo model.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { handleModelUpload, receiveModelUpload } from "../src/server/files/model-uploads.ts";
import { UploadError } from "../src/server/files/upload-http.ts";
import { fx, t, useApiWorld } from "./support/api-world.ts";
import { tinyModelFiles } from "./support/model-files.ts";

useApiWorld();

const stream = (bytes: Uint8Array) => new Response(bytes as Uint8Array<ArrayBuffer>).body;

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!(err instanceof TRPCError)) throw new Error(`expected a TRPCError, got ${String(err)}`);
  return { code: err.code, message: err.message };
}

describe("models.import", () => {
  it("registers a pair from server paths, for one project, and audits it", async () => {
    const f = await tinyModelFiles();
    const admin = await t.callerFor(fx.admin);
    const { id } = await admin.models.import({ name: "sam tiny", projectId: fx.projectId, files: { from: "server", encoderPath: f.encoderPath, decoderPath: f.decoderPath } });
    const row = await t.runtime.prisma.modelVersion.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ name: "sam tiny", source: "IMPORTED", status: "CANDIDATE", projectId: fx.projectId, createdById: fx.admin });
    expect(Buffer.compare(await t.runtime.storage.getBytes(row.decoderKey), Buffer.from(f.decoder))).toBe(0);
    const audit = await t.runtime.prisma.auditLog.findFirstOrThrow({ where: { action: "model.import", entityId: id } });
    expect(audit).toMatchObject({ actorId: fx.admin, projectId: fx.projectId });
  });

  it("refuses swapped files and missing paths with the reason, as BAD_REQUEST", async () => {
    const f = await tinyModelFiles();
    const admin = await t.callerFor(fx.admin);
    const swapped = await failure(admin.models.import({ name: "swapped", files: { from: "server", encoderPath: f.decoderPath, decoderPath: f.encoderPath } }));
    expect(swapped.code).toBe("BAD_REQUEST");
    expect(swapped.message).toMatch(/encoder/i);
    const missing = await failure(admin.models.import({ name: "missing", files: { from: "server", encoderPath: "/nowhere/enc.onnx", decoderPath: f.decoderPath } }));
    expect(missing).toMatchObject({ code: "BAD_REQUEST" });
    expect(missing.message).toContain("/nowhere/enc.onnx");
    expect(await failure(admin.models.import({ name: "x", projectId: "no-such-project", files: { from: "server", encoderPath: f.encoderPath, decoderPath: f.decoderPath } }))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("imports uploaded files, then deletes the uploads; a second import says they are gone", async () => {
    const f = await tinyModelFiles();
    const enc = await receiveModelUpload(t.runtime, stream(f.encoder), { role: "encoder", fileName: "enc.onnx", declaredBytes: f.encoder.length });
    const dec = await receiveModelUpload(t.runtime, stream(f.decoder), { role: "decoder", fileName: "dec.onnx", declaredBytes: null });
    expect(enc).toMatchObject({ role: "encoder", bytes: f.encoder.length });
    expect(dec.description).toMatch(/^SAM decoder: embeddings \[1,\d+,\d+,\d+\]/);
    const admin = await t.callerFor(fx.admin);
    const files = { from: "upload" as const, encoderUploadId: enc.uploadId, decoderUploadId: dec.uploadId };
    const { id } = await admin.models.import({ name: "uploaded", files });
    expect((await t.runtime.prisma.modelVersion.findUniqueOrThrow({ where: { id } })).projectId).toBeNull();
    expect(await readdir(t.runtime.uploadDir)).toEqual([]);
    const again = await failure(admin.models.import({ name: "uploaded", files }));
    expect(again.code).toBe("NOT_FOUND");
    expect(again.message).toMatch(/upload it again/);
    expect(await failure(admin.models.import({ name: "x", files: { ...files, encoderUploadId: "../../etc/passwd" } }))).toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("model uploads", () => {
  it("refuses a file that is not the SAM part it claims to be, and keeps nothing of it", async () => {
    const f = await tinyModelFiles();
    const before = await readdir(t.runtime.uploadDir).catch(() => []);
    const wrong = await receiveModelUpload(t.runtime, stream(f.encoder), { role: "decoder", fileName: "sam_decoder.onnx", declaredBytes: null }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(UploadError);
    expect((wrong as UploadError).status).toBe(422);
    expect((wrong as UploadError).message).toMatch(/^sam_decoder\.onnx is not a SAM decoder: .*encoder/);
    const garbage = await receiveModelUpload(t.runtime, stream(new TextEncoder().encode("definitely not protobuf")), { role: "encoder", fileName: "x.onnx", declaredBytes: null }).catch((e: unknown) => e);
    expect((garbage as UploadError).status).toBe(422);
    expect(await readdir(t.runtime.uploadDir)).toEqual(before);
  });

  it("refuses oversized and non-ONNX files with a clear message", async () => {
    const big = await receiveModelUpload(t.runtime, stream(new Uint8Array(10)), { role: "encoder", fileName: "e.onnx", declaredBytes: 5 * 1024 ** 3 }).catch((e: UploadError) => e);
    expect(big).toMatchObject({ status: 413, message: "e.onnx is 5.0 GB, more than the 4.0 GB a model file may have" });
    // No Content-Length (chunked): the cap is enforced while streaming.
    const streamed = await receiveModelUpload(t.runtime, stream(new Uint8Array(3 * 1024 ** 2)), { role: "encoder", fileName: "e.onnx", declaredBytes: null, maxBytes: 1024 ** 2 }).catch((e: UploadError) => e);
    expect(streamed).toMatchObject({ status: 413 });
    expect((streamed as UploadError).message).toMatch(/more than the 1\.0 MB/);
    const photo = await receiveModelUpload(t.runtime, stream(new Uint8Array(10)), { role: "encoder", fileName: "dog.jpg", declaredBytes: 10 }).catch((e: UploadError) => e);
    expect(photo).toMatchObject({ status: 415 });
    expect((photo as UploadError).message).toMatch(/dog\.jpg is not an \.onnx file/);
  });

  it("the upload handler admits administrators only and answers errors as JSON", async () => {
    {
      const f = await tinyModelFiles();
      const put = (cookie: string | null, query: string, body: Uint8Array) =>
        handleModelUpload(t.runtime, new Request(`http://localhost/api/uploads/models?${query}`, { method: "PUT", body: body as Uint8Array<ArrayBuffer>, headers: cookie ? { cookie } : {} }));
      expect((await put(null, "role=decoder&name=d.onnx", f.decoder)).status).toBe(401);
      expect((await put(await t.cookieFor(fx.reviewer), "role=decoder&name=d.onnx", f.decoder)).status).toBe(403);
      const admin = await t.cookieFor(fx.admin);
      const ok = await put(admin, "role=decoder&name=d.onnx", f.decoder);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ role: "decoder", bytes: f.decoder.length });
      const bad = await put(admin, "role=encoder&name=d.onnx", f.decoder);
      expect(bad.status).toBe(422);
      expect((await bad.json()).error).toMatch(/d\.onnx is not a SAM encoder/);
      expect(path.basename(t.runtime.uploadDir)).toBe("uploads");
    }
  });
});

describe("models.buildDemo", () => {
  it("builds a tiny SAM-architecture model and registers it", async () => {
    const admin = await t.callerFor(fx.admin);
    const { id, name } = await admin.models.buildDemo({ config: "tiny", seed: 7 });
    expect(name).toBe("tiny (built, seed 7)");
    expect(await t.runtime.prisma.modelVersion.findUniqueOrThrow({ where: { id } })).toMatchObject({ source: "BUILT", architecture: "tiny" });
    expect(await t.runtime.prisma.auditLog.count({ where: { action: "model.build", entityId: id } })).toBe(1);
  });
});
