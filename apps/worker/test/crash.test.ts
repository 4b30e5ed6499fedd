// Kill -9 a worker process in the middle of an ingest and of an export, start another, and check the job
// completes with no duplicate images, dataset rows or export files (harness: support/crash-harness.ts;
// the embed and generate jobs are in crash-models.test.ts).
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { createGunzip } from "node:zlib";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { insertSyntheticMasks } from "../bench/synthetic.ts";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { datasetVersionIdFor } from "../src/jobs/export/handler.ts";
import { countFiles, createCrashHarness, type CrashHarness } from "./support/crash-harness.ts";

const onPostgres = process.env.TEST_DATABASE === "postgres";
let harness: CrashHarness;
let dataDir: string;
const withServices: CrashHarness["withServices"] = (fn) => harness.withServices(fn);
const killMidwayAndRestart: CrashHarness["killMidwayAndRestart"] = (jobId, midway) => harness.killMidwayAndRestart(jobId, midway);

beforeAll(async () => {
  harness = await createCrashHarness("crash-test-");
  dataDir = harness.dataDir;
});
afterEach(async () => {
  await harness.killAll();
});
afterAll(async () => {
  await harness?.close();
});

describe(`a worker killed with SIGKILL mid-job (${onPostgres ? "PostgreSQL" : "PGlite"})`, () => {
  it("finishes an ingest on restart with every image exactly once", { timeout: 240_000 }, async () => {
    const folder = path.join(dataDir, "incoming");
    const N = 24;
    await mkdir(folder, { recursive: true });
    for (let i = 0; i < N; i++) {
      // Big enough that encoding takes a while, distinct content per file.
      await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: i * 5, g: 255 - i * 5, b: 128 } } })
        .composite([{ input: { create: { width: 200 + i * 10, height: 300, channels: 3, background: "#ffffff" } }, left: 10, top: 10 }])
        .png()
        .toFile(path.join(folder, `f${String(i).padStart(2, "0")}.png`));
    }
    const { projectId, jobId } = await withServices(async (services) => {
      const project = await services.prisma.project.create({ data: { name: "crash", slug: "crash-ingest" } });
      const job = await enqueueJob(services, { type: "INGEST", projectId: project.id, params: { source: { kind: "folder", path: folder } } });
      return { projectId: project.id, jobId: job.id };
    });
    const thumbs = path.join(dataDir, "files", "projects", projectId, "thumbnails");
    const result = await killMidwayAndRestart(jobId, async () => (await countFiles(thumbs)) >= 5);
    expect(result.status, result.log).toBe("SUCCEEDED");
    expect(result.attempts).toBeGreaterThanOrEqual(2);

    await withServices(async (services) => {
      const images = await services.prisma.image.findMany({ where: { projectId } });
      expect(images).toHaveLength(N);
      expect(new Set(images.map((i) => i.sha256)).size).toBe(N);
      const items = await services.prisma.jobItem.findMany({ where: { jobId, NOT: { key: { startsWith: "~" } } } });
      expect(items.map((i) => i.status)).toEqual(Array(N).fill("DONE"));
      const job = await services.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
      expect(job.result).toMatchObject({ imported: N, duplicates: 0, rejected: 0 });
    });
    expect(await countFiles(thumbs)).toBe(N);
    expect(await countFiles(path.join(dataDir, "files", "projects", projectId, "images"))).toBe(N);
  });

  it("finishes an export on restart with one archive and no duplicate dataset rows", { timeout: 240_000 }, async () => {
    const IMAGES = 60;
    const PER_IMAGE = 100;
    const { projectId, jobId } = await withServices(async (services) => {
      const project = await services.prisma.project.create({ data: { name: "crash", slug: "crash-export" } });
      await insertSyntheticMasks(services, project.id, IMAGES, PER_IMAGE);
      const job = await enqueueJob(services, { type: "EXPORT", projectId: project.id, params: { options: { pngMasks: false } } });
      return { projectId: project.id, jobId: job.id };
    });
    const dvId = datasetVersionIdFor(jobId);
    // The scratch folder exists from the end of the snapshot until the archive is published.
    const scratchDir = path.join(dataDir, "tmp", `export-${dvId}`);
    const result = await killMidwayAndRestart(jobId, async () => existsSync(scratchDir));
    expect(result.status, result.log).toBe("SUCCEEDED");
    expect(result.attempts).toBeGreaterThanOrEqual(2);

    const total = IMAGES * PER_IMAGE;
    const key = await withServices(async (services) => {
      const versions = await services.prisma.datasetVersion.findMany({ where: { projectId } });
      expect(versions.map((v) => [v.id, v.status, v.imageCount, v.maskCount])).toEqual([[dvId, "READY", IMAGES, total]]);
      expect(await services.prisma.datasetItem.count({ where: { datasetVersionId: dvId } })).toBe(total);
      const keys: string[] = [];
      for await (const e of services.storage.list(`datasets/${projectId}`)) keys.push(e.key);
      expect(keys).toEqual([versions[0]!.storageKey]);
      return versions[0]!.storageKey!;
    });
    // The archive holds each file once and the COCO file has every annotation once.
    const entries = await listTarGz(path.join(dataDir, "files", key));
    expect(new Set(entries.map((e) => e.name)).size).toBe(entries.length);
    expect(entries.filter((e) => e.name.includes("/sa1b/"))).toHaveLength(IMAGES);
    const coco = JSON.parse(entries.find((e) => e.name.endsWith("coco/instances.json"))!.text!) as { annotations: { id: number }[] };
    expect(coco.annotations).toHaveLength(total);
    expect(new Set(coco.annotations.map((a) => a.id)).size).toBe(total);
    expect(existsSync(path.join(dataDir, "tmp", `export-${dvId}`))).toBe(false);
  });
});

/** Reads a .tar.gz (ustar) with an independent little parser: names, and the text of JSON files. */
async function listTarGz(file: string): Promise<{ name: string; text?: string }[]> {
  const { createReadStream } = await import("node:fs");
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file).pipe(createGunzip())) chunks.push(c as Buffer);
  const tar = Buffer.concat(chunks);
  const out: { name: string; text?: string }[] = [];
  for (let o = 0; o + 512 <= tar.length; ) {
    const header = tar.subarray(o, o + 512);
    if (header.every((b) => b === 0)) break;
    const str = (a: number, b: number) => header.subarray(a, b).toString("utf8").replace(/\0.*$/s, "");
    const name = [str(345, 500), str(0, 100)].filter(Boolean).join("/");
    const size = parseInt(str(124, 136).trim(), 8);
    const body = tar.subarray(o + 512, o + 512 + size);
    out.push({ name, text: name.endsWith("instances.json") ? body.toString("utf8") : undefined });
    o += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
