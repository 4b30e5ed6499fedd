// `npm run bench:worker`: throughput of the worker's jobs, each next to a baseline measured in the same
// run on the same machine.
//   ingest   images/s on the sample photos (job: read, hash, normalise, thumbnail, store, record)
//            baseline: sharp decode + re-encode of the same files, nothing else
//   embed    embeddings/s with the builder's tiny encoder (job: load, decode, encode, float16, store, record)
//            baseline: SamPredictor.setImage on already decoded images
//   export   masks/s and peak memory for N synthetic masks (default 100,000), streamed to a .tar.gz
//            baseline: the naive export (every mask loaded, one COCO document built in memory)
//   scale    embeddings/s of the same embed jobs worked by 1 and by 2 worker processes on one PostgreSQL
//            queue (a fresh database on TEST_POSTGRES_URL's server; skipped with a message without one)
//            baseline: the 1-process run
// Database: in-memory PGlite (TEST_DATABASE=postgres: a fresh PostgreSQL database). Options: --masks N,
// --scale-jobs N (embed jobs of 7 photos each, default 8), --only scale (just the scale-out section).
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { createTestDatabase } from "@data-engine/db/testing";
import { createLocalStorage } from "@data-engine/storage";
import { SamPredictor, decodeMask, rleArea, rleBbox } from "@data-engine/sam-core";
import { createNodeBackend } from "@data-engine/sam-core/node";
import { createServices, type Services } from "../src/services.ts";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { startWorkers } from "../src/queue/workers.ts";
import { buildDemoModel } from "../src/models/build-demo.ts";
import { activateModel } from "../src/models/activate.ts";
import { decodeStoredRgb } from "../src/jobs/ingest/normalise.ts";
import { insertSyntheticMasks, SYNTHETIC_SIZE } from "./synthetic.ts";
import { measureScaleOut } from "./scale-out.ts";

const SAMPLES = fileURLToPath(new URL("../seed/samples/", import.meta.url));
const argMasks = process.argv.indexOf("--masks");
const MASKS = argMasks > 0 ? Number(process.argv[argMasks + 1]) : 100_000;
const argScaleJobs = process.argv.indexOf("--scale-jobs");
const SCALE_JOBS = argScaleJobs > 0 ? Number(process.argv[argScaleJobs + 1]) : 8;
const argOnly = process.argv.indexOf("--only");
const ONLY = argOnly > 0 ? process.argv[argOnly + 1] : undefined;
const PER_IMAGE = 100;
const COPIES = 4;

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

async function waitJob(services: Services, id: string) {
  for (;;) {
    const row = await services.prisma.job.findUniqueOrThrow({ where: { id } });
    if (["SUCCEEDED", "FAILED", "DEAD", "CANCELLED"].includes(row.status)) {
      if (row.status !== "SUCCEEDED") throw new Error(`job ${id} ${row.status}: ${row.error}`);
      return { row, seconds: (row.finishedAt!.getTime() - row.startedAt!.getTime()) / 1000 };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Peak RSS and JS heap while `fn` runs (sampled every 20 ms), above what was in use before. */
async function withPeakMemory<T>(fn: () => Promise<T>): Promise<{ value: T; rssMb: number; heapMb: number }> {
  global.gc?.();
  const base = process.memoryUsage();
  let rss = base.rss;
  let heap = base.heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  }, 20);
  try {
    const value = await fn();
    return { value, rssMb: (rss - base.rss) / 2 ** 20, heapMb: (heap - base.heapUsed) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

async function main() {
  const dataDir = await mkdtemp(path.join(tmpdir(), "worker-bench-"));
  const services = await createServices({
    database: await createTestDatabase(),
    ownsDatabase: true,
    dataDir,
    storage: createLocalStorage({ root: path.join(dataDir, "files") }),
  });
  const workers = await startWorkers(services, { log: () => undefined, pollingIntervalSeconds: 0.5, reconcileIntervalMs: 0 });
  const lines: string[] = [`database: ${services.db.kind}; storage: local disk; node ${process.version}`];
  try {
    // ---- ingest ----------------------------------------------------------------------------------
    const files = (await readdir(SAMPLES)).filter((f) => /\.(jpe?g|png)$/i.test(f));
    const t0 = performance.now();
    for (let c = 0; c < COPIES; c++) {
      for (const f of files) {
        const bytes = await readFile(path.join(SAMPLES, f));
        const s = sharp(bytes).rotate();
        await (f.endsWith(".png") ? s.png() : s.jpeg({ quality: 92 })).toBuffer();
      }
    }
    const baseIngest = (COPIES * files.length) / ((performance.now() - t0) / 1000);
    // Each copy goes to its own project so none is a duplicate.
    let ingested = 0;
    let ingestSeconds = 0;
    const projects: string[] = [];
    for (let c = 0; c < COPIES; c++) {
      const project = await services.prisma.project.create({ data: { name: `bench ${c}`, slug: `bench-${c}` } });
      projects.push(project.id);
      const job = await enqueueJob(services, { type: "INGEST", projectId: project.id, params: { source: { kind: "folder", path: SAMPLES }, extensions: ["jpg", "png"] } });
      const { row, seconds } = await waitJob(services, job.id);
      ingested += (row.result as { imported: number }).imported;
      ingestSeconds += seconds;
    }
    lines.push(
      `ingest   ${fmt(ingested / ingestSeconds)} images/s (${ingested} sample photos)   baseline sharp decode+encode only: ${fmt(baseIngest)} images/s`,
    );

    // ---- embed -----------------------------------------------------------------------------------
    const model = await buildDemoModel(services, { config: "tiny", seed: 0 });
    const images = await services.prisma.image.findMany({ where: { projectId: projects[0] } });
    const rgbs = await Promise.all(images.map(async (i) => decodeStoredRgb(await services.storage.getBytes(i.storageKey))));
    const predictor = await SamPredictor.create({
      backend: createNodeBackend(),
      encoder: new Uint8Array(await services.storage.getBytes(model.encoderKey)),
      decoder: new Uint8Array(await services.storage.getBytes(model.decoderKey)),
    });
    await predictor.setImage(rgbs[0]!); // warm-up
    const t1 = performance.now();
    for (const rgb of rgbs) await predictor.setImage(rgb);
    const baseEmbed = rgbs.length / ((performance.now() - t1) / 1000);
    await predictor.release();
    let embedded = 0;
    let embedSeconds = 0;
    for (const projectId of projects) {
      const { embedJob } = await activateModel(services, { projectId, modelVersionId: model.id });
      const { row, seconds } = await waitJob(services, embedJob!.id);
      embedded += (row.result as { embedded: number }).embedded;
      embedSeconds += seconds;
    }
    lines.push(
      `embed    ${fmt(embedded / embedSeconds)} embeddings/s (tiny encoder, ${embedded} images, model load included)   baseline setImage only: ${fmt(baseEmbed)} /s`,
    );

    // ---- export ----------------------------------------------------------------------------------
    const exportProject = await services.prisma.project.create({ data: { name: "bench export", slug: "bench-export" } });
    const imageCount = Math.ceil(MASKS / PER_IMAGE);
    const tInsert = performance.now();
    await insertSyntheticMasks(services, exportProject.id, imageCount, PER_IMAGE);
    const total = await services.prisma.mask.count({ where: { projectId: exportProject.id } });
    lines.push(`         (${total} synthetic masks on ${imageCount} images of ${SYNTHETIC_SIZE.width}x${SYNTHETIC_SIZE.height} inserted in ${fmt((performance.now() - tInsert) / 1000)} s)`);

    const streamed = await withPeakMemory(async () => {
      const job = await enqueueJob(services, { type: "EXPORT", projectId: exportProject.id, params: {} });
      return waitJob(services, job.id);
    });
    const naive = await withPeakMemory(async () => {
      const start = performance.now();
      const masks = await services.prisma.mask.findMany({
        where: { projectId: exportProject.id, status: "ACCEPTED" },
        include: { image: true },
        orderBy: [{ imageId: "asc" }, { id: "asc" }],
      });
      const imageIds = new Map<string, number>();
      const annotations = masks.map((m, i) => {
        if (!imageIds.has(m.imageId)) imageIds.set(m.imageId, imageIds.size + 1);
        const rle = { size: [m.image.height, m.image.width] as [number, number], counts: m.rle };
        return { id: i + 1, image_id: imageIds.get(m.imageId), category_id: 1, segmentation: rle, area: rleArea(rle), bbox: rleBbox(rle), iscrowd: 0 };
      });
      const doc = JSON.stringify({ images: [...imageIds].map(([id, n]) => ({ id: n, file_name: id })), annotations, categories: [{ id: 1, name: "object" }] });
      await writeFile(path.join(dataDir, "naive.json"), doc);
      return { seconds: (performance.now() - start) / 1000, count: masks.length };
    });
    const exported = (streamed.value.row.result as { maskCount: number }).maskCount;
    lines.push(
      `export   ${fmt(exported / streamed.value.seconds, 0)} masks/s, peak +${fmt(streamed.rssMb, 0)} MB RSS / +${fmt(streamed.heapMb, 0)} MB JS heap (${exported} masks, SA-1B + COCO, .tar.gz)`,
    );
    lines.push(
      `         baseline naive in-memory COCO: ${fmt(naive.value.count / naive.value.seconds, 0)} masks/s, peak +${fmt(naive.rssMb, 0)} MB RSS / +${fmt(naive.heapMb, 0)} MB JS heap`,
    );
    void decodeMask;
  } finally {
    await workers.stop();
    await services.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(lines.join("\n"));
}

async function scaleOut(): Promise<string[]> {
  let runs;
  try {
    runs = await measureScaleOut({ samplesDir: SAMPLES, jobs: SCALE_JOBS });
  } catch (error) {
    return [`scale    skipped: ${error instanceof Error ? error.message.split("\n")[0] : String(error)} (needs PostgreSQL: TEST_POSTGRES_URL)`];
  }
  const [one, two] = runs;
  return [
    `scale    ${fmt(two!.imagesPerSecond)} embeddings/s with 2 worker processes vs ${fmt(one!.imagesPerSecond)} with 1: ${fmt(two!.imagesPerSecond / one!.imagesPerSecond, 2)}x ` +
      `(${SCALE_JOBS} embed jobs, ${one!.images} images, PostgreSQL queue, ${os.availableParallelism()} CPUs; 1 process ${fmt(one!.seconds)} s, 2 processes ${fmt(two!.seconds)} s)`,
  ];
}

if (ONLY !== undefined && ONLY !== "scale") throw new Error(`--only: only "scale" is supported, got "${ONLY}"`);
if (ONLY !== "scale") await main();
console.log((await scaleOut()).join("\n"));
