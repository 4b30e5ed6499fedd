// Automatic mask generation as a job, with the builder's tiny SAM (seeded random weights, so the
// filters are scaled down: its IoU predictions stay below ~0.15). The masks a job writes are checked
// against generateMasks run directly on the same image and options; re-runs, the auto-accept split,
// a crash between images and bad parameters are checked against the database.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildDecoderOnnx,
  createOrtAmgDecoder,
  cropEncoder,
  decodeRleCounts,
  generateMasks,
  initDecoderWeights,
  rleIou,
  samConfig,
  type AmgOptions,
  type CocoRle,
} from "@data-engine/sam-core";
import { createNodeBackend } from "@data-engine/sam-core/node";
import type { Prisma } from "../src/db-types.ts";
import type { Services } from "../src/services.ts";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { startWorkers, type Workers } from "../src/queue/workers.ts";
import { buildDemoModel } from "../src/models/build-demo.ts";
import { activateModel } from "../src/models/activate.ts";
import { loadPredictor, releasePredictors } from "../src/models/load.ts";
import { loadAmgDecoder, releaseAmgDecoders } from "../src/models/load-amg-decoder.ts";
import { decodeStoredRgb } from "../src/jobs/ingest/normalise.ts";
import { JobCancelledError, JobParamsError, PermanentJobError } from "../src/errors.ts";
import { createJobContext, type JobContext } from "../src/queue/context.ts";
import { runGenerate } from "../src/jobs/generate/handler.ts";
import { generateParams, type GenerateParams } from "../src/jobs/generate/params.ts";
import { COMMANDS } from "../src/cli/commands.ts";
import type { Output } from "../src/cli/output.ts";
import { createProject, createTestServices, waitForJob, type TestServices } from "./support/services.ts";

const SAMPLES = "/work/shared/samples";
// Random weights: low IoUs, near-identical masks (box NMS at 1 keeps them), small logits (small offset).
const generation = { pointsPerSide: 3, predIouThresh: 0.02, stabilityScoreThresh: 0.001, stabilityScoreOffset: 0.03, boxNmsThresh: 1 };

let services: TestServices;
let workers: Workers | undefined;
let folder: string;
let modelVersionId: string;
const sizes = [
  [160, 120],
  [120, 160],
  [140, 100],
  [100, 100],
] as const;

beforeAll(async () => {
  services = await createTestServices();
  folder = await mkdtemp(path.join(tmpdir(), "generate-test-"));
  const sources = ["chelsea.png", "coffee.png", "dog.jpg", "coins.png"];
  for (let i = 0; i < sources.length; i++) {
    const [w, h] = sizes[i]!;
    await sharp(path.join(SAMPLES, sources[i]!)).resize(w, h, { fit: "cover" }).png().toFile(path.join(folder, `img-${i}.png`));
  }
  await sharp({ create: { width: 2, height: 2, channels: 3, background: "#808080" } }).png().toFile(path.join(folder, "tiny.png"));
  const model = await buildDemoModel(services, { config: "tiny", seed: 3 });
  modelVersionId = model.id;
  workers = await startWorkers(services, { log: () => undefined, pollingIntervalSeconds: 0.5, reconcileIntervalMs: 0 });
});
afterAll(async () => {
  await workers?.stop();
  await releasePredictors();
  await releaseAmgDecoders();
  await services?.cleanup();
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** A project with the photos (not the 2x2 image unless asked) and the tiny model active, no embeddings yet. */
async function setupProject(slug: string, settings: Record<string, unknown>, withTiny = false): Promise<string> {
  const projectId = await createProject(services, slug);
  await services.prisma.project.update({ where: { id: projectId }, data: { settings: settings as never } });
  const ingest = await enqueueJob(services, {
    type: "INGEST",
    projectId,
    params: { source: { kind: "folder", path: folder }, ...(withTiny ? {} : { extensions: ["png"] }) },
  });
  expect((await waitForJob(services, ingest.id)).status).toBe("SUCCEEDED");
  if (!withTiny) {
    const tiny = await services.prisma.image.findFirst({ where: { projectId, width: 2 } });
    if (tiny) await services.prisma.image.delete({ where: { id: tiny.id } });
  }
  await activateModel(services, { projectId, modelVersionId, embed: false });
  return projectId;
}

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** Independent of the job: the generator run directly on the stored image with the same options. */
async function directMasks(imageId: string, extra: AmgOptions = {}): Promise<{ counts: string; cropBox: number[] }[]> {
  const image = await services.prisma.image.findUniqueOrThrow({ where: { id: imageId } });
  const model = await services.prisma.modelVersion.findUniqueOrThrow({ where: { id: modelVersionId } });
  const predictor = await loadPredictor(services, modelVersionId);
  const rgb = await decodeStoredRgb(await services.storage.getBytes(image.storageKey));
  const embedding = await predictor.setImage(rgb);
  const decoder = await createOrtAmgDecoder({ backend: createNodeBackend(), decoder: new Uint8Array(await services.storage.getBytes(model.decoderKey)) });
  try {
    const options: AmgOptions = { ...generation, ...extra, outputMode: "coco_rle" };
    const encodeCrop = cropEncoder(rgb, (crop) => predictor.setImage(crop));
    const result = await generateMasks({ height: image.height, width: image.width, decoder, embedding, encodeCrop }, options);
    return result.masks.map((m) => ({ counts: (m.segmentation as CocoRle).counts, cropBox: m.crop_box }));
  } finally {
    await decoder.release();
  }
}

/** Area and COCO box of an RLE counts string, decoded here column by column. */
function geometry(counts: string, h: number, w: number) {
  const runs = decodeRleCounts(counts, h * w);
  let area = 0;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  let pos = 0;
  for (let k = 0; k < runs.length; k++) {
    if (k % 2 === 1) {
      for (let p = pos; p < pos + runs[k]!; p++) {
        const x = Math.floor(p / h);
        const y = p % h;
        area++;
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
    pos += runs[k]!;
  }
  return { area, bbox: area ? [x0, y0, x1 - x0 + 1, y1 - y0 + 1] : [0, 0, 0, 0] };
}

let reviewProject: string;

describe("generate job", () => {
  it("writes PROPOSED stage-2 masks with their scores, prompt and crop, equal to the generator's output", async () => {
    reviewProject = await setupProject("review", { generation });
    const job = await enqueueJob(services, { type: "GENERATE", projectId: reviewProject, params: { mode: "review" } });
    expect(job.queueName).toBe("generate");
    const done = await waitForJob(services, job.id);
    expect(done.status).toBe("SUCCEEDED");
    const images = await services.prisma.image.findMany({ where: { projectId: reviewProject } });
    expect(images).toHaveLength(4);
    // Missing embeddings were computed with the encoder and stored.
    expect(await services.prisma.embedding.count({ where: { modelVersionId, imageId: { in: images.map((i) => i.id) } } })).toBe(4);
    let total = 0;
    for (const image of images) {
      const masks = await services.prisma.mask.findMany({ where: { imageId: image.id }, orderBy: { idempotencyKey: "asc" } });
      const expected = await directMasks(image.id);
      expect(expected.length).toBeGreaterThan(0);
      expect(masks.map((m) => m.rle).sort()).toEqual(expected.map((e) => e.counts).sort());
      total += masks.length;
      const item = await services.prisma.jobItem.findUniqueOrThrow({ where: { jobId_key: { jobId: job.id, key: image.id } } });
      expect(item.status).toBe("DONE");
      expect(item.result).toMatchObject({ proposed: masks.length, accepted: 0, duplicates: 0 });
      for (const m of masks) {
        expect(m).toMatchObject({ source: "AUTO", stage: 2, status: "PROPOSED", modelVersionId, jobId: job.id, projectId: reviewProject });
        expect(m.idempotencyKey).toMatch(new RegExp(`^gen:${job.id}:${image.id}:\\d+$`));
        expect(m.rleChecksum).toBe(sha256(m.rle));
        const g = geometry(m.rle, image.height, image.width);
        expect(m.area).toBe(g.area);
        expect(m.bbox).toEqual(g.bbox);
        expect(m.predictedIou!).toBeGreaterThan(0.02);
        expect(m.stabilityScore!).toBeGreaterThanOrEqual(0.001);
        expect(m.cropBox).toEqual([0, 0, image.width, image.height]);
        const [[px, py]] = m.pointCoords as [[number, number]];
        // 3x3 grid of cell centres.
        const nearest = (v: number, side: number) => Math.min(...[1, 3, 5].map((k) => Math.abs(v - (k * side) / 6)));
        expect(nearest(px, image.width)).toBeLessThan(1e-9);
        expect(nearest(py, image.height)).toBeLessThan(1e-9);
      }
    }
    expect(done.result).toMatchObject({ images: 4, done: 4, failed: 0, proposed: total, accepted: 0 });
  });

  it("adds nothing when generation runs again on the same images with the same model and settings", async () => {
    const before = await services.prisma.mask.count({ where: { projectId: reviewProject } });
    // A proposal a reviewer rejected meanwhile does not come back either.
    const rejected = await services.prisma.mask.findFirstOrThrow({ where: { projectId: reviewProject } });
    await services.prisma.mask.update({ where: { id: rejected.id }, data: { status: "REJECTED" } });
    const job = await enqueueJob(services, { type: "GENERATE", projectId: reviewProject, params: {} });
    const done = await waitForJob(services, job.id);
    expect(done.status).toBe("SUCCEEDED");
    expect(await services.prisma.mask.count({ where: { projectId: reviewProject } })).toBe(before);
    expect(done.result).toMatchObject({ proposed: 0, accepted: 0, duplicates: before });
    await services.prisma.mask.update({ where: { id: rejected.id }, data: { status: "PROPOSED" } });
  });

  it("in auto mode accepts at stage 3 exactly the masks above the project's thresholds", async () => {
    const existing = await services.prisma.mask.findMany({ where: { projectId: reviewProject } });
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const autoAccept = { iou: median(existing.map((m) => m.predictedIou!)), stability: median(existing.map((m) => m.stabilityScore!)) };
    const projectId = await setupProject("auto", { generation, autoAccept });
    const job = await enqueueJob(services, { type: "GENERATE", projectId, params: { mode: "auto" } });
    const done = await waitForJob(services, job.id);
    expect(done.status).toBe("SUCCEEDED");
    const masks = await services.prisma.mask.findMany({ where: { projectId } });
    expect(masks.length).toBe(existing.length);
    const above = masks.filter((m) => m.predictedIou! >= autoAccept.iou && m.stabilityScore! >= autoAccept.stability);
    expect(above.length).toBeGreaterThan(0);
    expect(above.length).toBeLessThan(masks.length);
    for (const m of masks) {
      const auto = above.includes(m);
      expect([m.status, m.stage]).toEqual(auto ? ["ACCEPTED", 3] : ["PROPOSED", 2]);
    }
    expect(done.result).toMatchObject({ accepted: above.length, proposed: masks.length - above.length });
  });

  it("resumes after a crash between images without duplicating masks", async () => {
    const projectId = await setupProject("crash", { generation });
    await workers!.stop();
    // The third image's write fails after its masks were inserted (the transaction rolls back): the
    // attempt dies as a crash would; the queue retries and the next attempt skips the finished images.
    let writes = 0;
    const crashing = withCrashingTransaction(services, () => ++writes === 3);
    workers = await startWorkers(crashing, { log: () => undefined, pollingIntervalSeconds: 0.5, reconcileIntervalMs: 0 });
    try {
      const job = await enqueueJob(services, { type: "GENERATE", projectId, params: {} });
      const done = await waitForJob(services, job.id);
      expect(done.status).toBe("SUCCEEDED");
      expect(done.attempts).toBe(2);
      expect(writes).toBe(5); // 2 committed + 1 crashed in attempt 1, the remaining 2 in attempt 2
      const masks = await services.prisma.mask.findMany({ where: { projectId }, include: { image: true } });
      const reference = await services.prisma.mask.findMany({ where: { projectId: reviewProject }, include: { image: true } });
      const key = (m: { rleChecksum: string; image: { sha256: string } }) => `${m.image.sha256}:${m.rleChecksum}`;
      expect(new Set(masks.map(key)).size).toBe(masks.length);
      expect(masks.map(key).sort()).toEqual(reference.map(key).sort());
    } finally {
      await workers.stop();
      workers = await startWorkers(services, { log: () => undefined, pollingIntervalSeconds: 0.5, reconcileIntervalMs: 0 });
    }
  });

  it("stops inside an image when the job is cancelled, writing nothing for that image, and resumes later", async () => {
    // Two prompts per batch: several progress reports per image, so the cancel lands mid-image.
    const projectId = await setupProject("cancel", { generation: { ...generation, pointsPerBatch: 2 } });
    const base = await directContext(projectId);
    const row = { id: base.job.id };
    const messages: string[] = [];
    const cancelling: JobContext<GenerateParams> = {
      ...base,
      async checkpoint(_done, _total, message) {
        messages.push(message);
        if (message === "image 2/4: crop 1/1") throw new JobCancelledError(row.id);
      },
    };
    await expect(runGenerate(cancelling)).rejects.toThrow(JobCancelledError);
    expect(messages[0]).toBe("image 1/4");
    expect(messages).toContain("image 2/4");
    const items = await services.prisma.jobItem.findMany({ where: { jobId: row.id, NOT: { key: { startsWith: "~" } } } });
    expect(items.map((i) => i.status)).toEqual(["DONE"]);
    const masks = await services.prisma.mask.findMany({ where: { projectId } });
    expect(new Set(masks.map((m) => m.imageId))).toEqual(new Set([items[0]!.key]));

    const resumed = await runGenerate({ ...base, checkpoint: async () => undefined });
    expect(resumed).toMatchObject({ images: 4, done: 4, failed: 0 });
    const after = await services.prisma.mask.findMany({ where: { projectId } });
    expect(after.filter((m) => m.imageId === items[0]!.key).map((m) => m.id).sort()).toEqual(masks.map((m) => m.id).sort());
    expect(new Set(after.map((m) => m.imageId)).size).toBe(4);
  });

  it("encodes crops for crop layers and keeps each mask's crop box", async () => {
    const projectId = await setupProject("crops", { generation });
    const image = await services.prisma.image.findFirstOrThrow({ where: { projectId, width: 160 } });
    const amg = { cropNLayers: 1, boxNmsThresh: 0.7 };
    const job = await enqueueJob(services, { type: "GENERATE", projectId, params: { imageIds: [image.id], amg } });
    expect((await waitForJob(services, job.id)).status).toBe("SUCCEEDED");
    const masks = await services.prisma.mask.findMany({ where: { projectId } });
    const expected = await directMasks(image.id, amg);
    // The full image and the four layer-1 crops were prompted (the random model's crop masks tend to
    // touch the crops' inner edges and be filtered out, so the comparison above is what shows the result).
    const item = await services.prisma.jobItem.findUniqueOrThrow({ where: { jobId_key: { jobId: job.id, key: image.id } } });
    expect(item.result).toMatchObject({ crops: 5, proposed: masks.length });
    const plain = (counts: string, cropBox: number[]) => `${cropBox.join(",")}|${counts}`;
    expect(masks.map((m) => plain(m.rle, m.cropBox)).sort()).toEqual(expected.map((e) => plain(e.counts, e.cropBox)).sort());
  });

  it("uses the model's batched throughput decoder when it has one, with the same masks", async () => {
    // The demo model's decoder weights come from seed + 1 (build-demo.ts); the throughput export of the
    // same weights decodes many prompts per run.
    const cfg = samConfig("tiny");
    const throughput = buildDecoderOnnx(cfg.decoder, initDecoderWeights(cfg.decoder, 4), { variant: "throughput" }).model;
    const key = `models/test-throughput/decoder-throughput.onnx`;
    await services.storage.put(key, throughput);
    await services.prisma.modelVersion.update({ where: { id: modelVersionId }, data: { decoderThroughputKey: key } });
    await releaseAmgDecoders();
    try {
      const projectId = await setupProject("throughput", { generation });
      const job = await enqueueJob(services, { type: "GENERATE", projectId, params: {} });
      expect((await waitForJob(services, job.id)).status).toBe("SUCCEEDED");
      const decoder = await loadAmgDecoder(services, modelVersionId);
      expect(decoder.kind).toBe("throughput");
      expect(decoder.maxBatch).toBeGreaterThan(1);
      const masks = await services.prisma.mask.findMany({ where: { projectId }, include: { image: true } });
      const reference = await services.prisma.mask.findMany({ where: { projectId: reviewProject }, include: { image: true } });
      // The batched decoder computes the same function with its sums in another order (low-rank form):
      // logits agree to ~1e-6, so a pixel whose logit is within that of 0 may flip. Same masks per image,
      // in the same order, each a near-perfect match (a flipped pixel or two), with the same scores.
      const byImage = (list: typeof masks) => {
        const m = new Map<string, typeof masks>();
        for (const x of [...list].sort((a, b) => (b.predictedIou ?? 0) - (a.predictedIou ?? 0))) m.set(x.image.sha256, [...(m.get(x.image.sha256) ?? []), x]);
        return m;
      };
      const got = byImage(masks);
      const want = byImage(reference);
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      let flipped = 0;
      for (const [sha, list] of want) {
        const mine = got.get(sha)!;
        expect(mine.length).toBe(list.length);
        list.forEach((r, i) => {
          const size: [number, number] = [r.image.height, r.image.width];
          const iou = rleIou({ size, counts: mine[i]!.rle }, { size, counts: r.rle });
          expect(iou).toBeGreaterThan(0.999);
          if (mine[i]!.rle !== r.rle) flipped++;
          expect(mine[i]!.predictedIou).toBeCloseTo(r.predictedIou!, 5);
          expect(mine[i]!.stabilityScore).toBeCloseTo(r.stabilityScore!, 5);
        });
      }
      expect(flipped).toBeLessThanOrEqual(Math.max(1, Math.floor(reference.length / 4)));
    } finally {
      await services.prisma.modelVersion.update({ where: { id: modelVersionId }, data: { decoderThroughputKey: null } });
      await releaseAmgDecoders();
    }
  });

  it("rejects bad parameters, settings, images and models before anything is queued", async () => {
    const projectId = await setupProject("bad", { generation }, true);
    const tiny = await services.prisma.image.findFirstOrThrow({ where: { projectId, width: 2 } });
    const photo = await services.prisma.image.findFirstOrThrow({ where: { projectId, width: 160 } });
    const jobsBefore = await services.prisma.job.count();
    const reject = (params: unknown) => enqueueJob(services, { type: "GENERATE", projectId, params });
    await expect(reject({ amg: { pointsPerSide: 0 } })).rejects.toThrow(/amg\.pointsPerSide/);
    await expect(reject({ amg: { pointsPerSide: 100_000 } })).rejects.toThrow(/amg\.pointsPerSide/);
    await expect(reject({ amg: { predIouThresh: 1.5 } })).rejects.toThrow(/amg\.predIouThresh/);
    await expect(reject({ amg: { stabilityScoreThresh: -0.1 } })).rejects.toThrow(/amg\.stabilityScoreThresh/);
    await expect(reject({ mode: "yolo" })).rejects.toThrow(/mode/);
    await expect(reject({ preset: "huge" })).rejects.toThrow(/preset/);
    // A combination only the generator's own validation catches: 3 points per side cannot be downscaled 4x twice.
    await expect(reject({ amg: { cropNLayers: 2, cropNPointsDownscaleFactor: 4 } })).rejects.toThrow(JobParamsError);
    await expect(reject({ imageIds: [tiny.id], amg: { cropNLayers: 2 } })).rejects.toThrow(/tiny\.png.*too small for crop layer/);
    await expect(reject({ imageIds: ["no-such-image"] })).rejects.toThrow(/no image "no-such-image"/);
    await expect(reject({ statuses: ["REVIEWED"] })).rejects.toThrow(/No images match/);
    // Project settings out of range.
    await services.prisma.project.update({ where: { id: projectId }, data: { settings: { generation, dedup: { iouThresh: 2 } } } });
    await expect(reject({})).rejects.toThrow(/project settings: dedup\.iouThresh/);
    await services.prisma.project.update({ where: { id: projectId }, data: { settings: { generation } } });
    // A stored embedding whose shape is not the model's.
    await services.prisma.embedding.create({
      data: { imageId: photo.id, modelVersionId, storageKey: "x", dtype: "float16", shape: [1, 32, 8, 8], inputSize: 128, sizeBytes: 1 },
    });
    await expect(reject({ imageIds: [photo.id] })).rejects.toThrow(/does not match/);
    // No active model.
    await services.prisma.project.update({ where: { id: projectId }, data: { activeModelVersionId: null } });
    await expect(reject({})).rejects.toThrow(/no active model/);
    expect(await services.prisma.job.count()).toBe(jobsBefore);
    // The same found when the job runs (the model was deactivated after queueing): failed at once, no retries.
    await expect(runGenerate(await directContext(projectId))).rejects.toThrow(PermanentJobError);
  });
});

describe("data-engine generate", () => {
  it("queues a generation job with the flags as parameters, refusing bad ones", async () => {
    const command = COMMANDS.find((c) => c.name === "generate")!;
    const results: unknown[] = [];
    const out: Output = { json: true, result: (v) => results.push(v), info: () => undefined, progress: () => undefined, endProgress: () => undefined };
    const cli = { services, out, runHere: false };
    await expect(command.run(cli, { project: "review", "points-per-side": "0", "no-wait": true }, [])).rejects.toThrow(/amg\.pointsPerSide/);
    await expect(command.run(cli, { project: "review", "pred-iou": "high", "no-wait": true }, [])).rejects.toThrow(/--pred-iou must be a number/);
    const code = await command.run(cli, { project: "review", mode: "auto", "points-per-side": "3", "pred-iou": "0.02", "no-wait": true }, []);
    expect(code).toBe(0);
    const job = results[0] as { id: string; type: string; params: unknown };
    expect(job.type).toBe("GENERATE");
    expect(job.params).toEqual({ mode: "auto", amg: { pointsPerSide: 3, predIouThresh: 0.02 } });
    expect((await waitForJob(services, job.id)).status).toBe("SUCCEEDED");
  });
});

/** A context for running the handler directly on a fresh RUNNING job row, without the queue. */
async function directContext(projectId: string): Promise<JobContext<GenerateParams>> {
  const params = generateParams.parse({});
  const queueJobId = `direct-${Math.random().toString(36).slice(2)}`;
  const row = await services.prisma.job.create({ data: { type: "GENERATE", projectId, params, status: "RUNNING", queueJobId } });
  return createJobContext<GenerateParams>(
    services,
    { id: row.id, projectId, createdById: null, priority: 0, attempt: 1, queueJobId },
    params,
    new AbortController().signal,
    { stopping: () => false },
  );
}

/** The services with `prisma.$transaction(fn)` failing after `fn` ran whenever `crash()` says so. */
function withCrashingTransaction(real: Services, crash: () => boolean): Services {
  const prisma = new Proxy(real.prisma, {
    get(target, prop) {
      if (prop === "$transaction") {
        return async (fn: (tx: unknown) => Promise<unknown>, options?: unknown) =>
          (target.$transaction as (f: (tx: unknown) => Promise<unknown>, o?: unknown) => Promise<unknown>)(async (tx) => {
            const result = await fn(tx);
            if (crash()) throw new Error("simulated crash");
            return result;
          }, options);
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as Prisma;
  return { ...real, prisma };
}
