// Ingest from a folder and from browser uploads: normalised 8-bit RGB (EXIF orientation, greyscale,
// alpha, 16-bit), thumbnails, sha256 dedup within a project, and per-file rejection of non-images,
// truncated files and decompression bombs while the rest of the batch goes on.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { startWorkers, type Workers } from "../src/queue/workers.ts";
import { createProject, createTestServices, waitForJob, type TestServices } from "./support/services.ts";
import { bombPng } from "./support/bad-files.ts";

let services: TestServices;
let workers: Workers;
let folder: string;

beforeAll(async () => {
  services = await createTestServices();
  workers = await startWorkers(services, { log: () => undefined, pollingIntervalSeconds: 0.5, reconcileIntervalMs: 0 });
  folder = await mkdtemp(path.join(tmpdir(), "ingest-test-"));
});
afterAll(async () => {
  await workers?.stop();
  await services?.cleanup();
  await rm(folder, { recursive: true, force: true });
});

async function pixel(bytes: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [...data.subarray(i, i + info.channels)];
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("ingest from a folder", () => {
  const files: Record<string, Buffer> = {};

  beforeAll(async () => {
    const dir = path.join(folder, "batch");
    // Left half red, right half blue, stored 40x20 with EXIF orientation 6 (display = rotate 90° clockwise).
    const halves = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) halves.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    files["rotated.jpg"] = await sharp(halves, { raw: { width: 40, height: 20, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    files["photo.jpg"] = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#336699" } }).jpeg().toBuffer();
    files["copy-of-photo.jpg"] = files["photo.jpg"];
    files["grey.png"] = await sharp({ create: { width: 30, height: 10, channels: 3, background: "#505050" } }).toColourspace("b-w").png().toBuffer();
    // Fully transparent left half, opaque green right half.
    const rgba = Buffer.alloc(20 * 10 * 4);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 20; x++) rgba.set(x < 10 ? [0, 0, 0, 0] : [0, 200, 0, 255], (y * 20 + x) * 4);
    files["alpha.png"] = await sharp(rgba, { raw: { width: 20, height: 10, channels: 4 } }).png().toBuffer();
    files["deep.png"] = await sharp({ create: { width: 12, height: 8, channels: 3, background: "#c08040" } }).toColourspace("rgb16").png().toBuffer();
    files["notes.txt"] = Buffer.from("not an image at all\n");
    files["cut.jpg"] = files["photo.jpg"].subarray(0, Math.floor(files["photo.jpg"].length / 2));
    files["bomb.png"] = bombPng(30_000, 30_000);
    // A real photo cut after 60%: the header is intact, the scan data ends early.
    const dog = await readFile(fileURLToPath(new URL("../seed/samples/dog.jpg", import.meta.url)));
    files["dog-cut.jpg"] = dog.subarray(0, Math.floor(dog.length * 0.6));
    await mkdir(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(dir, name), bytes);
  });

  it("imports the good files, skips the duplicate and rejects the bad ones with reasons", async () => {
    expect((await sharp(files["deep.png"]!).metadata()).depth).toBe("ushort");
    const projectId = await createProject(services, "folder");
    const job = await enqueueJob(services, {
      type: "INGEST",
      projectId,
      params: { source: { kind: "folder", path: path.join(folder, "batch") }, maxPixels: 50_000_000 },
    });
    const done = await waitForJob(services, job.id);
    expect(done.status).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ files: 10, imported: 5, duplicates: 1, rejected: 4 });

    const items = Object.fromEntries(
      (await services.prisma.jobItem.findMany({ where: { jobId: job.id } })).map((i) => [i.key, i]),
    );
    expect(items["notes.txt"]!.status).toBe("FAILED");
    expect(items["notes.txt"]!.message).toMatch(/not a supported image/);
    expect(items["cut.jpg"]!.status).toBe("FAILED");
    expect(items["cut.jpg"]!.message).toMatch(/truncated or corrupt/);
    expect(items["dog-cut.jpg"]!.status).toBe("FAILED");
    expect(items["dog-cut.jpg"]!.message).toMatch(/truncated or corrupt/);
    expect(items["bomb.png"]!.status).toBe("FAILED");
    expect(items["bomb.png"]!.message).toMatch(/30000x30000 is 900 megapixels, over the limit of 50 megapixels/);
    // Files are listed in name order, so copy-of-photo.jpg comes first and photo.jpg is the duplicate.
    expect(items["photo.jpg"]!.status).toBe("SKIPPED");
    expect(items["photo.jpg"]!.message).toMatch(/duplicate of image "copy-of-photo.jpg"/);

    const images = Object.fromEntries(
      (await services.prisma.image.findMany({ where: { projectId } })).map((i) => [i.fileName, i]),
    );
    expect(Object.keys(images).sort()).toEqual(["alpha.png", "copy-of-photo.jpg", "deep.png", "grey.png", "rotated.jpg"]);
    for (const [name, image] of Object.entries(images)) {
      expect(image.sha256).toBe(sha(files[name]!));
      expect(image.source).toBe("FOLDER");
      const stored = await services.storage.getBytes(image.storageKey);
      const meta = await sharp(stored).metadata();
      expect([meta.width, meta.height, meta.channels, meta.depth]).toEqual([image.width, image.height, 3, "uchar"]);
      expect(image.sizeBytes).toBe(stored.length);
      const thumb = await sharp(await services.storage.getBytes(image.thumbnailKey!)).metadata();
      expect(thumb.format).toBe("jpeg");
    }

    // EXIF orientation 6: 40x20 becomes 20x40 with the (red) left edge on top.
    const rotated = await services.storage.getBytes(images["rotated.jpg"]!.storageKey);
    expect([images["rotated.jpg"]!.width, images["rotated.jpg"]!.height]).toEqual([20, 40]);
    const top = await pixel(rotated, 10, 5);
    const bottom = await pixel(rotated, 10, 34);
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(60);

    // Greyscale becomes three equal channels; 16-bit 0xc0c0/0x8080/0x4040 becomes 8-bit c0/80/40.
    expect(await pixel(await services.storage.getBytes(images["grey.png"]!.storageKey), 3, 3)).toEqual([0x50, 0x50, 0x50]);
    expect(await pixel(await services.storage.getBytes(images["deep.png"]!.storageKey), 2, 2)).toEqual([0xc0, 0x80, 0x40]);
    // Transparent pixels are flattened onto white.
    const alpha = await services.storage.getBytes(images["alpha.png"]!.storageKey);
    expect(await pixel(alpha, 2, 2)).toEqual([255, 255, 255]);
    expect(await pixel(alpha, 15, 5)).toEqual([0, 200, 0]);

    // The same folder again: every image is a duplicate now, nothing new is stored.
    const again = await enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "folder", path: path.join(folder, "batch") } } });
    const second = await waitForJob(services, again.id);
    expect(second.result).toMatchObject({ imported: 0, duplicates: 6, rejected: 4 });
    expect(await services.prisma.image.count({ where: { projectId } })).toBe(5);
  });
});

describe("ingest from browser uploads", () => {
  it("imports what was uploaded under uploads/ and removes the uploads it imported", async () => {
    const projectId = await createProject(services, "uploads");
    const a = await sharp({ create: { width: 16, height: 16, channels: 3, background: "#ff0000" } }).png().toBuffer();
    const b = await sharp({ create: { width: 8, height: 24, channels: 3, background: "#00ff00" } }).webp({ lossless: true }).toBuffer();
    await services.storage.put("uploads/u1/a.png", a);
    await services.storage.put("uploads/u1/b.webp", b);
    await services.storage.put("uploads/u1/readme.md", "hello");
    await services.storage.put("uploads/u2/other.png", a);
    const job = await enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "upload", prefix: "uploads/u1/" } } });
    const done = await waitForJob(services, job.id);
    expect(done.result).toMatchObject({ imported: 2, rejected: 1 });
    const images = await services.prisma.image.findMany({ where: { projectId }, orderBy: { fileName: "asc" } });
    expect(images.map((i) => [i.fileName, i.source, i.mimeType, i.width, i.height])).toEqual([
      ["a.png", "UPLOAD", "image/png", 16, 16],
      ["b.webp", "UPLOAD", "image/png", 8, 24],
    ]);
    const left: string[] = [];
    for await (const e of services.storage.list("uploads/")) left.push(e.key);
    expect(left.sort()).toEqual(["uploads/u1/readme.md", "uploads/u2/other.png"]);
  });

  it("rejects an upload prefix outside uploads/ before queueing", async () => {
    const projectId = await createProject(services, "uploads-bad");
    await expect(
      enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "upload", prefix: "projects/x/" } } }),
    ).rejects.toThrow(/source\.prefix: must start with "uploads\/"/);
  });
});
