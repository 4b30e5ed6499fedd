// Export: SA-1B and COCO files checked by an independent Python validator (its own RLE decoder and
// polygon rasteriser) against the masks the test put in; filters (status, stage, label, model version,
// date range); PNG masks; folder and archive layouts; counts and checksum on the dataset version; an
// empty filter gives an empty, valid dataset; a corrupt mask or a missing image file is left out with
// its reason while the rest is exported.
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeMask, type BinaryMask } from "@data-engine/sam-core";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { startWorkers, type Workers } from "../src/queue/workers.ts";
import { createProject, createTestServices, waitForJob, type TestServices } from "./support/services.ts";

const VALIDATOR = fileURLToPath(new URL("./validators/coco_check.py", import.meta.url));
let services: TestServices;
let workers: Workers;
let scratch: string;
let projectId: string;

interface Truth {
  maskId: string;
  imageId: string;
  digest: string;
  area: number;
  label: string | null;
  stage: number;
  status: string;
  mask: BinaryMask;
}
const truth: Truth[] = [];

function shape(w: number, h: number, inside: (x: number, y: number) => boolean): BinaryMask {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = inside(x, y) ? 1 : 0;
  return { width: w, height: h, data };
}
const digest = (m: BinaryMask) => createHash("sha256").update(m.data).digest("hex");

beforeAll(async () => {
  services = await createTestServices();
  workers = await startWorkers(services, { log: () => undefined, pollingIntervalSeconds: 0.5, reconcileIntervalMs: 0 });
  scratch = await mkdtemp(path.join(tmpdir(), "export-test-"));
  projectId = await createProject(services, "export");
  const labels = Object.fromEntries(
    await Promise.all(
      ["dog", "cat"].map(async (name, i) => [name, (await services.prisma.labelClass.create({ data: { projectId, name, color: "#000000", sortOrder: i } })).id]),
    ),
  );
  const sizes = [
    [40, 30],
    [25, 50],
  ];
  for (const [i, [w, h]] of sizes.entries()) {
    const bytes = await sharp({ create: { width: w!, height: h!, channels: 3, background: "#808080" } }).png().toBuffer();
    const key = `projects/${projectId}/images/img${i}.png`;
    await services.storage.put(key, bytes);
    const image = await services.prisma.image.create({
      data: { projectId, storageKey: key, fileName: `img${i}.png`, mimeType: "image/png", sizeBytes: bytes.length, width: w!, height: h!, sha256: `sha${i}`, source: "UPLOAD" },
    });
    const masks: [BinaryMask, string | null, number, string][] = [
      [shape(w!, h!, (x, y) => x >= 3 && x < 12 && y >= 4 && y < 20), "dog", 1, "ACCEPTED"],
      // A ring (hole in the middle) and a mask in two parts: polygons must keep both right.
      [shape(w!, h!, (x, y) => (x - 12) ** 2 + (y - 12) ** 2 <= 64 && (x - 12) ** 2 + (y - 12) ** 2 > 9), "cat", 2, "ACCEPTED"],
      [shape(w!, h!, (x, y) => (x < 3 && y < 3) || (x >= w! - 4 && y >= h! - 2)), null, 3, "ACCEPTED"],
      [shape(w!, h!, (x, y) => x === y), "dog", 1, "REJECTED"],
      [shape(w!, h!, (x, y) => y === 0), "dog", 1, "PROPOSED"],
    ];
    for (const [mask, label, stage, status] of masks) {
      const rle = encodeMask(mask).counts;
      const area = mask.data.reduce((a, b) => a + b, 0);
      const row = await services.prisma.mask.create({
        data: {
          projectId,
          imageId: image.id,
          labelClassId: label ? labels[label] : null,
          rle,
          rleChecksum: createHash("sha256").update(rle).digest("hex"),
          bbox: [0, 0, 0, 0], // deliberately wrong: the exporter derives boxes from the RLE
          area,
          source: "MANUAL",
          stage,
          status: status as "ACCEPTED",
          predictedIou: 0.9,
          stabilityScore: 0.95,
        },
      });
      truth.push({ maskId: row.id, imageId: image.id, digest: digest(mask), area, label, stage, status, mask });
    }
  }
});
afterAll(async () => {
  await workers?.stop();
  await services?.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

interface Summary {
  coco: { images: number; annotations: { id: number; image: string; category_id: number; kind: string; area: number; digest: string; mask_id: string }[]; categories: Record<string, string> };
  sa1b: Record<string, string[]>;
}

/** The first Python with numpy (the validator's one dependency): $PYTHON, python3 on the PATH, /usr/bin/python3. */
const PYTHON = (() => {
  const candidates = [process.env.PYTHON, "python3", "/usr/bin/python3"].filter((c): c is string => !!c);
  const found = candidates.find((c) => spawnSync(c, ["-c", "import numpy"], { stdio: "ignore" }).status === 0);
  if (!found) throw new Error(`the export validator needs Python with numpy; none of ${candidates.join(", ")} has it`);
  return found;
})();

function validate(dir: string): Summary {
  return JSON.parse(execFileSync(PYTHON, [VALIDATOR, dir], { encoding: "utf8" })) as Summary;
}

async function runExport(params: unknown) {
  const job = await enqueueJob(services, { type: "EXPORT", projectId, params });
  const done = await waitForJob(services, job.id);
  expect(done.status, done.error ?? "").toBe("SUCCEEDED");
  const dv = await services.prisma.datasetVersion.findFirstOrThrow({ where: { jobId: job.id } });
  return { job: done, dv };
}

async function extractArchive(key: string, name: string): Promise<string> {
  const archive = path.join(scratch, `${name}.tar.gz`);
  await writeFile(archive, await services.storage.getBytes(key));
  const out = path.join(scratch, name);
  await mkdir(out);
  execFileSync("tar", ["-xzf", archive, "-C", out]);
  return out;
}

describe("export", () => {
  it("writes ACCEPTED masks as SA-1B and COCO RLE that an independent decoder reads back exactly", async () => {
    const { dv } = await runExport({ name: "v1" });
    const accepted = truth.filter((t) => t.status === "ACCEPTED");
    expect([dv.status, dv.imageCount, dv.maskCount]).toEqual(["READY", 2, accepted.length]);
    expect(dv.storageKey).toMatch(/\.tar\.gz$/);
    const root = await extractArchive(dv.storageKey!, "v1");
    const dir = path.join(root, dv.id);
    const summary = validate(dir);

    const byMaskId = new Map(summary.coco.annotations.map((a) => [a.mask_id, a]));
    expect(byMaskId.size).toBe(accepted.length);
    for (const t of accepted) {
      const a = byMaskId.get(t.maskId)!;
      expect(a.kind).toBe("rle");
      expect(a.digest).toBe(t.digest);
      expect(a.area).toBe(t.area);
      expect(summary.coco.categories[a.category_id]).toBe(t.label ?? "unlabeled");
    }
    // SA-1B: one file per image, the same masks.
    const sa1bDigests = Object.values(summary.sa1b).flat().sort();
    expect(sa1bDigests).toEqual(accepted.map((t) => t.digest).sort());

    // Counts and checksum: the checksum is the sha256 of the manifest, which lists every file's sha256.
    const manifestText = await readFile(path.join(dir, "manifest.json"), "utf8");
    expect(dv.checksum).toBe(createHash("sha256").update(manifestText).digest("hex"));
    const manifest = JSON.parse(manifestText) as { files: { path: string; sha256: string; size: number }[] };
    expect(manifest.files.length).toBe(3); // coco/instances.json + 2 SA-1B files
    for (const f of manifest.files) {
      const bytes = await readFile(path.join(dir, f.path));
      expect([bytes.length, createHash("sha256").update(bytes).digest("hex")]).toEqual([f.size, f.sha256]);
    }
  });

  it("filters by stage and label, writes polygons and PNG masks into a folder", async () => {
    const { dv } = await runExport({
      filter: { statuses: ["ACCEPTED", "REJECTED"], stages: [1, 2], labels: ["dog", "cat"] },
      options: { polygons: true, pngMasks: true, layout: "folder", formats: ["coco"] },
    });
    const expected = truth.filter((t) => ["ACCEPTED", "REJECTED"].includes(t.status) && [1, 2].includes(t.stage) && t.label);
    expect(dv.maskCount).toBe(expected.length);
    const dir = path.join(scratch, "v2");
    for await (const entry of services.storage.list(dv.storageKey!)) {
      const rel = entry.key.slice(dv.storageKey!.length);
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), await services.storage.getBytes(entry.key));
    }
    const summary = validate(dir);
    expect(summary.sa1b).toEqual({});
    for (const t of expected) {
      const a = summary.coco.annotations.find((x) => x.mask_id === t.maskId)!;
      expect(a.kind).toBe("polygon");
      // The rasterised polygons are exactly the mask (ring hole kept).
      expect(a.digest).toBe(t.digest);
      const file = path.join(dir, "masks", t.imageId, `${a.id}.png`);
      expect((await sharp(file).metadata()).channels).toBe(1);
      const png = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      expect([...png.data].map((v) => (v > 127 ? 1 : 0))).toEqual([...t.mask.data]);
    }
  });

  it("exports an empty filter as an empty, valid dataset", async () => {
    const { dv, job } = await runExport({ filter: { labels: ["no-such-label"] } });
    expect([dv.status, dv.imageCount, dv.maskCount]).toEqual(["READY", 0, 0]);
    expect(job.result).toMatchObject({ maskCount: 0 });
    const root = await extractArchive(dv.storageKey!, "empty");
    const summary = validate(path.join(root, dv.id));
    expect(summary.coco.images).toBe(0);
    expect(summary.coco.annotations).toEqual([]);
    expect(summary.sa1b).toEqual({});
  });

  it("filters by model version and creation date range (from inclusive, to exclusive), ACCEPTED by default", async () => {
    const project = await createProject(services, "export-model-dates");
    const image = await services.prisma.image.create({
      data: { projectId: project, storageKey: "k", fileName: "a.png", mimeType: "image/png", sizeBytes: 1, width: 20, height: 10, sha256: "a", source: "UPLOAD" },
    });
    const model = (name: string) =>
      services.prisma.modelVersion.create({ data: { projectId: project, name, architecture: "tiny", source: "BUILT", encoderKey: "e", decoderKey: "d" } });
    const [mine, other] = [await model("mine"), await model("other")];
    const rle = encodeMask(shape(20, 10, (x, y) => x < 5 && y < 5)).counts;
    const mask = (modelVersionId: string, createdAt: string, status: "ACCEPTED" | "PROPOSED" = "ACCEPTED") =>
      services.prisma.mask.create({
        data: {
          projectId: project,
          imageId: image.id,
          rle,
          rleChecksum: createHash("sha256").update(rle).digest("hex"),
          bbox: [0, 0, 5, 5],
          area: 25,
          source: "AUTO",
          stage: 3,
          status,
          modelVersionId,
          createdAt: new Date(createdAt),
        },
      });
    const inRange = [await mask(mine.id, "2025-01-01T00:00:00Z"), await mask(mine.id, "2025-01-31T23:59:59Z")];
    await mask(mine.id, "2025-02-01T00:00:00Z"); // the end is exclusive
    await mask(mine.id, "2024-12-31T23:59:59Z");
    await mask(other.id, "2025-01-15T00:00:00Z");
    await mask(mine.id, "2025-01-15T00:00:00Z", "PROPOSED");

    const filter = { modelVersionId: mine.id, createdFrom: "2025-01-01T00:00:00Z", createdTo: "2025-02-01T00:00:00Z" };
    const job = await enqueueJob(services, { type: "EXPORT", projectId: project, params: { filter } });
    expect((await waitForJob(services, job.id)).status).toBe("SUCCEEDED");
    const dv = await services.prisma.datasetVersion.findFirstOrThrow({ where: { jobId: job.id } });
    expect([dv.imageCount, dv.maskCount]).toEqual([1, 2]);
    const summary = validate(path.join(await extractArchive(dv.storageKey!, "model-dates"), dv.id));
    expect(summary.coco.annotations.map((a) => a.mask_id).sort()).toEqual(inRange.map((m) => m.id).sort());
  });

  it("leaves out a corrupt mask and a missing image file with their reasons, exporting the rest", async () => {
    const project = await createProject(services, "export-bad-items");
    const add = async (name: string, stored: boolean) => {
      const bytes = await sharp({ create: { width: 20, height: 10, channels: 3, background: "#404040" } }).png().toBuffer();
      const key = `projects/${project}/images/${name}`;
      if (stored) await services.storage.put(key, bytes);
      return services.prisma.image.create({
        data: { projectId: project, storageKey: key, fileName: name, mimeType: "image/png", sizeBytes: bytes.length, width: 20, height: 10, sha256: name, source: "UPLOAD" },
      });
    };
    const stored = await add("stored.png", true);
    const gone = await add("gone.png", false); // its file was deleted from storage
    const square = shape(20, 10, (x, y) => x >= 2 && x < 8 && y >= 2 && y < 8);
    const mask = (imageId: string, rle: string) =>
      services.prisma.mask.create({
        data: { projectId: project, imageId, rle, rleChecksum: createHash("sha256").update(rle).digest("hex"), bbox: [0, 0, 0, 0], area: 36, source: "MANUAL", stage: 1, status: "ACCEPTED" },
      });
    const good = [await mask(stored.id, encodeMask(square).counts), await mask(gone.id, encodeMask(square).counts)];
    const corrupt = await mask(stored.id, "5~~not-rle");

    const job = await enqueueJob(services, { type: "EXPORT", projectId: project, params: { options: { includeImages: true } } });
    const done = await waitForJob(services, job.id);
    expect(done.status, done.error ?? "").toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ imageCount: 2, maskCount: 2, invalidMasks: 1, missingImages: 1 });
    expect(done.progressMessage).toBe("exported 2 masks on 2 images; 1 invalid masks left out; 1 image files missing");
    const dv = await services.prisma.datasetVersion.findFirstOrThrow({ where: { jobId: job.id } });
    expect([dv.status, dv.imageCount, dv.maskCount]).toEqual(["READY", 2, 2]);

    const dir = path.join(await extractArchive(dv.storageKey!, "bad-items"), dv.id);
    const manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as {
      invalidMasks: { maskId: string; reason: string }[];
      missingImages: { imageId: string; reason: string }[];
      files: { path: string }[];
    };
    expect(manifest.invalidMasks.map((m) => m.maskId)).toEqual([corrupt.id]);
    expect(manifest.invalidMasks[0]!.reason).toMatch(/invalid character/);
    expect(manifest.missingImages).toEqual([{ imageId: gone.id, reason: expect.stringMatching(/No stored object/) }]);
    expect(manifest.files.filter((f) => f.path.startsWith("images/")).map((f) => f.path)).toHaveLength(1);
    // The exported files are valid and hold exactly the two good masks.
    const summary = validate(dir);
    expect(summary.coco.annotations.map((a) => a.mask_id).sort()).toEqual(good.map((m) => m.id).sort());
    expect(summary.coco.annotations.map((a) => a.digest)).toEqual([digest(square), digest(square)]);
  });

  it("validates export parameters before queueing", async () => {
    await expect(enqueueJob(services, { type: "EXPORT", projectId, params: { options: { formats: [] } } })).rejects.toThrow(/options\.formats/);
    await expect(
      enqueueJob(services, { type: "EXPORT", projectId, params: { filter: { createdFrom: "2030-01-01T00:00:00Z", createdTo: "2020-01-01T00:00:00Z" } } }),
    ).rejects.toThrow(/createdFrom must be before createdTo/);
    await expect(enqueueJob(services, { type: "EXPORT", projectId, params: { filter: { statuses: ["MAYBE"] } } })).rejects.toThrow(/filter\.statuses/);
  });
});
