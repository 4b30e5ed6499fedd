// Kill -9 a worker process in the middle of an embed job and of a generate job, start another, and check
// the job completes with exactly one embedding per image (one row, one readable file) and no duplicate
// masks: the generated masks equal those of an uninterrupted run on the same images.
import { createHash } from "node:crypto";
import path from "node:path";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeEmbedding } from "@data-engine/sam-core";
import type { Services } from "../src/services.ts";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { startWorkers } from "../src/queue/workers.ts";
import { buildDemoModel } from "../src/models/build-demo.ts";
import { activateModel } from "../src/models/activate.ts";
import { releaseAmgDecoders } from "../src/models/load-amg-decoder.ts";
import { releasePredictors } from "../src/models/load.ts";
import { countFiles, createCrashHarness, type CrashHarness } from "./support/crash-harness.ts";
import { waitForJob } from "./support/services.ts";

const SAMPLES = "/work/shared/samples";
const PHOTOS = [
  "chelsea.png",
  "coffee.png",
  "dog.jpg",
  "coins.png",
  "astronaut.png",
  "dogs.jpg",
  "groceries.jpg",
];
// The builder's random weights give low scores: thresholds scaled down as in generate.test.ts.
const generation = {
  pointsPerSide: 3,
  predIouThresh: 0.02,
  stabilityScoreThresh: 0.001,
  stabilityScoreOffset: 0.03,
  boxNmsThresh: 1,
};

let harness: CrashHarness;
let photos: Buffer[];
let modelVersionId: string;

beforeAll(async () => {
  harness = await createCrashHarness("crash-models-");
  // Distinct 160x120 crops of the sample photos (each its own sha256 and its own masks).
  photos = [];
  for (let i = 0; i < 40; i++) {
    const source = sharp(path.join(SAMPLES, PHOTOS[i % PHOTOS.length]!));
    const { width, height } = await source.metadata();
    const w = Math.floor(width! * 0.6);
    const h = Math.floor(height! * 0.6);
    const shift = Math.floor(i / PHOTOS.length) * 0.07;
    const region = {
      left: Math.floor((width! - w) * shift),
      top: Math.floor((height! - h) * shift),
      width: w,
      height: h,
    };
    photos.push(await source.extract(region).resize(160, 120, { fit: "fill" }).png().toBuffer());
  }
  modelVersionId = await harness.withServices(
    async (services) => (await buildDemoModel(services, { config: "tiny", seed: 11 })).id,
  );
});
afterEach(async () => {
  await harness.killAll();
});
afterAll(async () => {
  await harness?.close();
});

/** A project with the first `count` photos stored as images and the tiny model active (no embeddings). */
async function projectWithImages(
  services: Services,
  slug: string,
  count: number,
  settings: Record<string, unknown> = {},
): Promise<string> {
  const project = await services.prisma.project.create({
    data: { name: slug, slug, settings: settings as never },
  });
  for (let i = 0; i < count; i++) {
    const bytes = photos[i]!;
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const storageKey = `projects/${project.id}/images/${sha256}.png`;
    await services.storage.put(storageKey, bytes, { contentType: "image/png" });
    await services.prisma.image.create({
      data: {
        projectId: project.id,
        storageKey,
        fileName: `photo-${i}.png`,
        mimeType: "image/png",
        sizeBytes: bytes.length,
        width: 160,
        height: 120,
        sha256,
        source: "UPLOAD",
      },
    });
  }
  await activateModel(services, { projectId: project.id, modelVersionId, embed: false });
  return project.id;
}

const embeddingsDir = (projectId: string) =>
  path.join(harness.dataDir, "files", "projects", projectId, "embeddings", modelVersionId);

describe(`a worker killed with SIGKILL mid-job (${process.env.TEST_DATABASE === "postgres" ? "PostgreSQL" : "PGlite"})`, () => {
  it("finishes an embed job on restart with one embedding per image", { timeout: 240_000 }, async () => {
    const N = 40;
    const { projectId, jobId } = await harness.withServices(async (services) => {
      const projectId = await projectWithImages(services, "crash-embed", N);
      const job = await enqueueJob(services, { type: "EMBED", projectId, params: {} });
      return { projectId, jobId: job.id };
    });
    const result = await harness.killMidwayAndRestart(
      jobId,
      async () => (await countFiles(embeddingsDir(projectId))) >= 5,
    );
    expect(result.status, result.log).toBe("SUCCEEDED");
    expect(result.attempts).toBeGreaterThanOrEqual(2);

    await harness.withServices(async (services) => {
      const images = await services.prisma.image.findMany({
        where: { projectId },
        select: { id: true, width: true, height: true },
      });
      const rows = await services.prisma.embedding.findMany({
        where: { modelVersionId, image: { projectId } },
      });
      expect(rows.map((r) => r.imageId).sort()).toEqual(images.map((i) => i.id).sort());
      for (const row of rows) {
        // A write cut by the kill must not have left a truncated blob behind under the final key.
        const blob = await services.storage.getBytes(row.storageKey);
        expect(row.sizeBytes).toBe(blob.length);
        const image = images.find((i) => i.id === row.imageId)!;
        expect(decodeEmbedding(new Uint8Array(blob)).originalSize).toEqual([image.height, image.width]);
      }
      const items = await services.prisma.jobItem.findMany({ where: { jobId } });
      expect(items.map((i) => i.status)).toEqual(Array(N).fill("DONE"));
      const job = await services.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
      expect(job.result).toMatchObject({ embedded: N, failed: 0 });
    });
    expect(await countFiles(embeddingsDir(projectId))).toBe(N);
  });

  it(
    "finishes a generate job on restart with the masks of an uninterrupted run, none twice",
    { timeout: 300_000 },
    async () => {
      const N = 16;
      // The reference: the same images and settings in another project, generated without interruption.
      const { reference, projectId, jobId } = await harness.withServices(async (services) => {
        const reference = await projectWithImages(services, "reference", N, { generation });
        const workers = await startWorkers(services, {
          log: () => undefined,
          pollingIntervalSeconds: 0.5,
          reconcileIntervalMs: 0,
        });
        try {
          const job = await enqueueJob(services, { type: "GENERATE", projectId: reference, params: {} });
          expect((await waitForJob(services, job.id, 120_000)).status).toBe("SUCCEEDED");
        } finally {
          await workers.stop();
          await releasePredictors();
          await releaseAmgDecoders();
        }
        const projectId = await projectWithImages(services, "crash-generate", N, { generation });
        const job = await enqueueJob(services, { type: "GENERATE", projectId, params: {} });
        return { reference, projectId, jobId: job.id };
      });
      // Generation stores each image's embedding before it writes the image's masks.
      const result = await harness.killMidwayAndRestart(
        jobId,
        async () => (await countFiles(embeddingsDir(projectId))) >= 4,
      );
      expect(result.status, result.log).toBe("SUCCEEDED");
      expect(result.attempts).toBeGreaterThanOrEqual(2);

      await harness.withServices(async (services) => {
        const masksOf = async (p: string) =>
          (await services.prisma.mask.findMany({ where: { projectId: p }, include: { image: true } })).map(
            (m) => `${m.image.sha256}:${m.rleChecksum}`,
          );
        const masks = await masksOf(projectId);
        const expected = await masksOf(reference);
        expect(expected.length).toBeGreaterThan(N);
        expect(new Set(masks).size).toBe(masks.length);
        expect(masks.sort()).toEqual(expected.sort());
        const items = await services.prisma.jobItem.findMany({
          where: { jobId, NOT: { key: { startsWith: "~" } } },
        });
        expect(items.map((i) => i.status)).toEqual(Array(N).fill("DONE"));
        const job = await services.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
        expect(job.result).toMatchObject({
          images: N,
          done: N,
          failed: 0,
          proposed: masks.length,
          duplicates: 0,
        });
        expect(await services.prisma.embedding.count({ where: { image: { projectId } } })).toBe(N);
      });
    },
  );
});
