// Ingest from an S3 prefix, end to end against s3rver (a local S3 protocol server, started as the
// storage package's tests start it): a bucket of camera drops read with the product's S3 settings, and a
// prefix of the product's own bucket (under S3_PREFIX). Bad files in the batch are rejected with a reason
// while the rest goes on; the source objects are left in place.
import { createHash } from "node:crypto";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStorage, storageConfigFromEnv, type S3Storage } from "@data-engine/storage";
// The storage package's s3rver harness (s3rver runs in a child process with OpenSSL's legacy provider).
import { startS3rver, type RunningS3rver } from "../../../packages/storage/test/s3rver.ts";
import type { Services } from "../src/services.ts";
import { PermanentJobError } from "../src/errors.ts";
import { openSource } from "../src/jobs/ingest/sources.ts";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { startWorkers, type Workers } from "../src/queue/workers.ts";
import { createProject, createTestServices, waitForJob, type TestServices } from "./support/services.ts";
import { bombPng } from "./support/bad-files.ts";
import { solidPng } from "./support/images.ts";

const PRODUCT = "engine-product";
const DROPS = "camera-drops";
let server: RunningS3rver;
let s3Env: Record<string, string>;
const opened: S3Storage[] = [];
const running: { services: TestServices; workers: Workers }[] = [];

function s3(bucket: string, prefix = ""): S3Storage {
  const storage = createStorage(
    storageConfigFromEnv({ ...s3Env, S3_BUCKET: bucket, S3_PREFIX: prefix }),
  ) as S3Storage;
  opened.push(storage);
  return storage;
}

/** Worker services whose jobs see the S3 settings; file storage as given (default: local disk). */
async function start(storage?: S3Storage, extraEnv: Record<string, string> = {}): Promise<TestServices> {
  const services = await createTestServices({
    env: { ...s3Env, ...extraEnv },
    storage: storage ? () => storage : undefined,
  });
  const workers = await startWorkers(services, {
    log: () => undefined,
    pollingIntervalSeconds: 0.5,
    reconcileIntervalMs: 0,
  });
  running.push({ services, workers });
  return services;
}

beforeAll(async () => {
  server = await startS3rver([PRODUCT, DROPS]);
  s3Env = { S3_ENDPOINT: server.endpoint, S3_ACCESS_KEY_ID: "S3RVER", S3_SECRET_ACCESS_KEY: "S3RVER" };
});
afterAll(async () => {
  for (const { services, workers } of running) {
    await workers.stop();
    await services.cleanup();
  }
  for (const s of opened) s.destroy();
  await server?.stop();
});

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("ingest from an S3 prefix", () => {
  it("imports a bucket's prefix, rejecting bad files with reasons and going on", async () => {
    const drops = s3(DROPS);
    const good: Record<string, Buffer> = {};
    for (let i = 0; i < 5; i++) good[`2026/cam-${i}.png`] = await solidPng(i + 1, 40 + i, 30);
    good["2026/sub/deep.jpg"] = await sharp({
      create: { width: 50, height: 20, channels: 3, background: "#224466" },
    })
      .jpeg()
      .toBuffer();
    const photo = good["2026/cam-0.png"]!;
    const jpeg = good["2026/sub/deep.jpg"]!;
    const bad: Record<string, [Buffer, RegExp]> = {
      "2026/readme.txt": [Buffer.from("not an image\n"), /not a supported image/],
      "2026/cut.jpg": [jpeg.subarray(0, Math.floor(jpeg.length / 2)), /truncated or corrupt/],
      "2026/bomb.png": [bombPng(20_000, 20_000), /over the limit of 50 megapixels/],
    };
    for (const [key, bytes] of Object.entries(good)) await drops.put(key, bytes);
    for (const [key, [bytes]] of Object.entries(bad)) await drops.put(key, bytes);
    await drops.put("2026/copy.png", photo); // a duplicate of cam-0.png within the batch
    await drops.put("2026/.hidden.png", photo); // hidden: not listed
    await drops.put("2025/old.png", await solidPng(99)); // outside the prefix

    const services = await start();
    const projectId = await createProject(services, "s3-drops");
    const job = await enqueueJob(services, {
      type: "INGEST",
      projectId,
      params: { source: { kind: "s3", bucket: DROPS, prefix: "2026/" }, maxPixels: 50_000_000 },
    });
    const done = await waitForJob(services, job.id);
    expect(done.status, done.error ?? "").toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ files: 10, imported: 6, duplicates: 1, rejected: 3 });

    const items = Object.fromEntries(
      (await services.prisma.jobItem.findMany({ where: { jobId: job.id } })).map((i) => [i.key, i]),
    );
    for (const [key, [, reason]] of Object.entries(bad)) {
      expect(items[key]!.status, key).toBe("FAILED");
      expect(items[key]!.message, key).toMatch(reason);
    }
    // s3rver lists in key order: cam-0.png comes before copy.png, which is the duplicate.
    expect(items["2026/copy.png"]!.status).toBe("SKIPPED");
    expect(items["2026/copy.png"]!.message).toMatch(/duplicate of image "cam-0.png"/);

    const images = await services.prisma.image.findMany({ where: { projectId } });
    expect(images.map((i) => i.sourceUri).sort()).toEqual(
      Object.keys(good)
        .map((k) => `s3://${DROPS}/${k}`)
        .sort(),
    );
    for (const image of images) {
      const key = image.sourceUri!.slice(`s3://${DROPS}/`.length);
      expect(image.source).toBe("S3");
      expect(image.sha256).toBe(sha(good[key]!));
      // Stored in the product's storage (local disk here) as 8-bit RGB of the same size.
      const meta = await sharp(await services.storage.getBytes(image.storageKey)).metadata();
      expect([meta.width, meta.height, meta.channels]).toEqual([image.width, image.height, 3]);
    }
    // An S3 source is read, never emptied.
    const left: string[] = [];
    for await (const e of drops.list("")) left.push(e.key);
    expect(left).toHaveLength(Object.keys(good).length + Object.keys(bad).length + 3);
  });

  it("imports a prefix of the product's own bucket under S3_PREFIX, storing the images there too", async () => {
    const product = s3(PRODUCT, "tenant-a");
    const files = {
      "drops/a.png": await solidPng(201),
      "drops/b.png": await solidPng(202),
      "drops/notes.md": Buffer.from("# hi"),
    };
    for (const [key, bytes] of Object.entries(files)) await product.put(key, bytes);
    // The same key outside the tenant's prefix is not the tenant's.
    await s3(PRODUCT).put("drops/c.png", await solidPng(203));

    const services = await start(product, { S3_BUCKET: PRODUCT, S3_PREFIX: "tenant-a" });
    const projectId = await createProject(services, "s3-product");
    const job = await enqueueJob(services, {
      type: "INGEST",
      projectId,
      params: { source: { kind: "s3", prefix: "drops/" } },
    });
    const done = await waitForJob(services, job.id);
    expect(done.status, done.error ?? "").toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ files: 3, imported: 2, duplicates: 0, rejected: 1 });
    const images = await services.prisma.image.findMany({
      where: { projectId },
      orderBy: { fileName: "asc" },
    });
    expect(images.map((i) => [i.fileName, i.sourceUri])).toEqual([
      ["a.png", `s3://${PRODUCT}/tenant-a/drops/a.png`],
      ["b.png", `s3://${PRODUCT}/tenant-a/drops/b.png`],
    ]);
    // The stored image and thumbnail are objects of the bucket, under the tenant's prefix.
    const root = s3(PRODUCT);
    for (const image of images) {
      expect(await root.head(`tenant-a/${image.storageKey}`)).not.toBeNull();
      expect(await root.head(`tenant-a/${image.thumbnailKey!}`)).not.toBeNull();
    }
  });

  it("refuses unusable S3 settings as a permanent failure (no retries)", () => {
    const services = {
      env: { ...s3Env, S3_ACCESS_KEY_ID: "only-the-id", S3_SECRET_ACCESS_KEY: "" },
    } as unknown as Services;
    expect(() => openSource(services, { kind: "s3", bucket: DROPS, prefix: "" })).toThrow(PermanentJobError);
    expect(() => openSource(services, { kind: "s3", bucket: DROPS, prefix: "" })).toThrow(
      /S3 source: .*S3_SECRET_ACCESS_KEY/,
    );
  });
});
