// Integration tests against s3rver, a local S3 protocol server started on a free loopback port.
import { createHash } from "node:crypto";
import { createServer } from "node:net";
import { Readable } from "node:stream";
import { HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Storage } from "../src/index.ts";
import { StorageConfigError, createStorage, storageConfigFromEnv, type StorageEnv } from "../src/index.ts";
import { storageContract } from "./contract.ts";
import { chunkedStream, collect, seededBytes } from "./helpers.ts";
import { startS3rver, type RunningS3rver } from "./s3rver.ts";

const BUCKET = "engine-test";
let server: RunningS3rver | undefined;
let endpoint: string;
const opened: S3Storage[] = [];

function env(extra: StorageEnv = {}): StorageEnv {
  return {
    S3_BUCKET: BUCKET,
    S3_ENDPOINT: endpoint,
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
    ...extra,
  };
}

/** A storage from env-style settings, the same path the app takes, with a small list page. */
function open(extra: StorageEnv = {}, listPageSize = 7): S3Storage {
  const s = createStorage(storageConfigFromEnv(env(extra)), { listPageSize }) as S3Storage;
  opened.push(s);
  return s;
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  server = await startS3rver([BUCKET]);
  endpoint = server.endpoint;
});

afterAll(async () => {
  for (const s of opened) s.destroy();
  await server?.stop();
});

describe("S3 backend: contract (list pages of 7 keys)", () => {
  let storage: S3Storage;
  beforeAll(() => {
    storage = open();
  });
  storageContract(() => storage, { byteOrderedList: false });
});

describe("S3 backend against s3rver", () => {
  it("uploads a 10+ MB stream in parts and streams it back byte for byte", async () => {
    const s = open();
    const commands: string[] = [];
    s.client.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize" },
    );
    const data = seededBytes(10 * 1024 * 1024 + 123_457, 20240601);
    const key = "big/upload.bin";
    expect(await s.put(key, chunkedStream(data, 256 * 1024))).toEqual({ key, size: data.length });
    // 5 MiB parts: 10 MiB + 123457 bytes makes 3 parts.
    expect(commands.filter((c) => c === "CreateMultipartUploadCommand")).toHaveLength(1);
    expect(commands.filter((c) => c === "UploadPartCommand")).toHaveLength(3);
    expect(commands.filter((c) => c === "CompleteMultipartUploadCommand")).toHaveLength(1);

    const stream = await s.get(key);
    const hash = createHash("sha256");
    let offset = 0;
    let mismatchAt = -1;
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      if (mismatchAt < 0 && !bytes.equals(data.subarray(offset, offset + bytes.length))) mismatchAt = offset;
      hash.update(bytes);
      offset += bytes.length;
    }
    expect(mismatchAt).toBe(-1);
    expect(offset).toBe(data.length);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    expect((await s.head(key))?.size).toBe(data.length);
    // The server's own view: s3rver's ETag is the MD5 of the stored bytes (no SDK chunk framing).
    const raw = await s.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(raw.ETag?.replace(/"/g, "")).toBe(createHash("md5").update(data).digest("hex"));
  });

  it("a stream failing after a multipart upload has begun leaves no object", async () => {
    const s = open();
    const failing = Readable.from(
      (async function* () {
        yield seededBytes(6 * 1024 * 1024, 9); // more than one 5 MiB part: the upload is multipart by now
        throw new Error("camera unplugged");
      })(),
      { objectMode: false },
    );
    await expect(s.put("big/failed.bin", failing)).rejects.toThrow("camera unplugged");
    expect(await s.head("big/failed.bin")).toBeNull();
  });

  it("list() follows continuation tokens page by page", async () => {
    const s = open({ S3_PREFIX: "paging" }, 5);
    const pages: number[] = [];
    s.client.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === "ListObjectsV2Command") {
          pages.push(((out.output as { Contents?: unknown[] }).Contents ?? []).length);
        }
        return out;
      },
      { step: "initialize" },
    );
    const keys = Array.from({ length: 12 }, (_, i) => `p/${String(i).padStart(2, "0")}`);
    for (const k of keys) await s.put(k, k);
    expect((await collect(s.list("p/"))).map((e) => e.key).sort()).toEqual(keys);
    expect(pages).toEqual([5, 5, 2]);
  });

  it("presigned GET and PUT URLs work with plain fetch()", async () => {
    const s = open();
    const data = seededBytes(40_000, 7);
    await s.put("presign/get.bin", data);
    const getUrl = await s.signedUrl("presign/get.bin", { method: "GET", expiresInSeconds: 300 });
    expect(getUrl.startsWith(`${endpoint}/${BUCKET}/presign/get.bin?`)).toBe(true);
    expect(new URL(getUrl).searchParams.get("X-Amz-Expires")).toBe("300");
    const res = await fetch(getUrl);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);

    const putUrl = await s.signedUrl("presign/put.json", {
      method: "PUT",
      expiresInSeconds: 60,
      contentType: "application/json",
    });
    const put = await fetch(putUrl, {
      method: "PUT",
      body: '{"ok":true}',
      headers: { "content-type": "application/json" },
    });
    expect(put.status).toBe(200);
    expect((await s.getBytes("presign/put.json")).toString()).toBe('{"ok":true}');
    expect((await s.head("presign/put.json"))?.contentType).toBe("application/json");

    await expect(
      s.signedUrl("presign/x", { method: "GET", expiresInSeconds: 8 * 24 * 3600 }),
    ).rejects.toThrow(RangeError);
  });

  it("S3_PREFIX keeps keys under the prefix in the bucket and hides it from callers", async () => {
    const scoped = open({ S3_PREFIX: "tenant-a" });
    const plain = open();
    await scoped.put("docs/one.txt", "1");
    await scoped.put("docs/two.txt", "22");
    await plain.put("docs/other.txt", "x");

    const raw = await plain.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "tenant-a/" }));
    expect((raw.Contents ?? []).map((c) => c.Key).sort()).toEqual([
      "tenant-a/docs/one.txt",
      "tenant-a/docs/two.txt",
    ]);
    expect(await collect(scoped.list("docs/"))).toEqual([
      { key: "docs/one.txt", size: 1 },
      { key: "docs/two.txt", size: 2 },
    ]);
    expect((await plain.getBytes("tenant-a/docs/two.txt")).toString()).toBe("22");
    expect(await scoped.head("docs/other.txt")).toBeNull();
  });

  it("check() on a closed port is a StorageConfigError naming S3_ENDPOINT", async () => {
    const port = await closedPort();
    const s = open({ S3_ENDPOINT: `http://127.0.0.1:${port}` });
    const err = await s.check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageConfigError);
    expect((err as StorageConfigError).message).toBe(
      `S3 bucket "${BUCKET}" not reachable at http://127.0.0.1:${port}: connection refused — check S3_ENDPOINT`,
    );
    expect((err as StorageConfigError).settings).toEqual(["S3_ENDPOINT"]);
  });

  it("check() on a missing bucket names S3_BUCKET", async () => {
    const err = await open({ S3_BUCKET: "no-such-bucket" })
      .check()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageConfigError);
    expect((err as StorageConfigError).message).toBe(
      `S3 bucket "no-such-bucket" does not exist at ${endpoint} — check S3_BUCKET`,
    );
  });
});
