// Embeddings with the builder's tiny encoder: queued automatically after ingest when the project has an
// active model, stored in the compact float16 format, equal to what a predictor computes on the stored
// image; on-demand priority requests; a missing file fails only its own item.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SamPredictor, decodeEmbedding } from "@data-engine/sam-core";
import { createNodeBackend } from "@data-engine/sam-core/node";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { startWorkers, type Workers } from "../src/queue/workers.ts";
import { requestEmbedding } from "../src/queue/request-embedding.ts";
import { buildDemoModel } from "../src/models/build-demo.ts";
import { activateModel } from "../src/models/activate.ts";
import { releasePredictors } from "../src/models/load.ts";
import { decodeStoredRgb } from "../src/jobs/ingest/normalise.ts";
import { createProject, createTestServices, waitForJob, type TestServices } from "./support/services.ts";

const samples = fileURLToPath(new URL("../seed/samples/", import.meta.url));
let services: TestServices;
let workers: Workers | undefined;
let projectId: string;
let modelVersionId: string;

beforeAll(async () => {
  services = await createTestServices();
  projectId = await createProject(services, "embed");
  const model = await buildDemoModel(services, { config: "tiny", seed: 5 });
  modelVersionId = model.id;
  const { embedJob } = await activateModel(services, { projectId, modelVersionId, embed: true });
  expect(embedJob).toBeNull(); // no images yet
});
afterAll(async () => {
  await workers?.stop();
  await releasePredictors();
  await services?.cleanup();
});

const start = async () =>
  (workers ??= await startWorkers(services, { log: () => undefined, pollingIntervalSeconds: 0.5, reconcileIntervalMs: 0 }));

describe("embed", () => {
  it("embeds newly ingested images with the active model, as a predictor would", async () => {
    await start();
    const ingest = await enqueueJob(services, {
      type: "INGEST",
      projectId,
      params: { source: { kind: "folder", path: samples }, extensions: ["jpg"] },
    });
    const ingested = await waitForJob(services, ingest.id);
    const embedJobId = (ingested.result as { embedJobId: string }).embedJobId;
    expect(embedJobId).toBeTruthy();
    const embedJob = await waitForJob(services, embedJobId);
    expect(embedJob.status).toBe("SUCCEEDED");
    expect(embedJob.result).toMatchObject({ embedded: 3, failed: 0, modelVersionId });

    const model = await services.prisma.modelVersion.findUniqueOrThrow({ where: { id: modelVersionId } });
    const shape = (model.config as { embeddingShape: number[] }).embeddingShape;
    const reference = await SamPredictor.create({
      backend: createNodeBackend(),
      encoder: new Uint8Array(await services.storage.getBytes(model.encoderKey)),
      decoder: new Uint8Array(await services.storage.getBytes(model.decoderKey)),
    });
    try {
      const rows = await services.prisma.embedding.findMany({ where: { modelVersionId }, include: { image: true } });
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(row.dtype).toBe("float16");
        expect(row.shape).toEqual(shape);
        const blob = await services.storage.getBytes(row.storageKey);
        expect(row.sizeBytes).toBe(blob.length);
        const decoded = decodeEmbedding(new Uint8Array(blob));
        expect(decoded.storedDtype).toBe("float16");
        expect(decoded.modelId).toBe(modelVersionId);
        expect(decoded.originalSize).toEqual([row.image.height, row.image.width]);
        const expected = await reference.setImage(await decodeStoredRgb(await services.storage.getBytes(row.image.storageKey)));
        let maxAbs = 0;
        let maxErr = 0;
        for (let i = 0; i < expected.data.length; i++) {
          maxAbs = Math.max(maxAbs, Math.abs(expected.data[i]!));
          maxErr = Math.max(maxErr, Math.abs(expected.data[i]! - decoded.data[i]!));
        }
        expect(maxAbs).toBeGreaterThan(0);
        // float16 keeps 11 significant bits.
        expect(maxErr).toBeLessThanOrEqual(maxAbs * 2 ** -10);
      }
    } finally {
      await reference.release();
    }

    // Nothing left to embed: a second job does no work.
    const again = await enqueueJob(services, { type: "EMBED", projectId, params: {} });
    expect((await waitForJob(services, again.id)).result).toMatchObject({ embedded: 0 });
    expect(await services.prisma.embedding.count()).toBe(3);
  });

  it("embeds an image an annotator opened first, on the priority lane, once", async () => {
    const image = await services.prisma.image.findFirstOrThrow({ where: { projectId }, orderBy: { fileName: "asc" } });
    expect(await requestEmbedding(services, { imageId: image.id })).toEqual({ status: "ready" });
    await services.prisma.embedding.deleteMany({ where: { imageId: image.id } });
    await workers!.stop();
    workers = undefined;
    const first = await requestEmbedding(services, { imageId: image.id });
    const second = await requestEmbedding(services, { imageId: image.id });
    if (first.status !== "queued" || second.status !== "queued") throw new Error("expected queued");
    expect(second.job.id).toBe(first.job.id);
    expect(first.job.queueName).toBe("embed-priority");
    expect(first.job.priority).toBeGreaterThan(0);
    await start();
    expect((await waitForJob(services, first.job.id)).status).toBe("SUCCEEDED");
    expect(await services.prisma.embedding.count({ where: { imageId: image.id } })).toBe(1);
    await expect(requestEmbedding(services, { imageId: "missing" })).rejects.toThrow(/No image/);
  });

  it("records a failing image and embeds the others", async () => {
    const images = await services.prisma.image.findMany({ where: { projectId }, orderBy: { fileName: "asc" } });
    await services.prisma.embedding.deleteMany({});
    await services.storage.delete(images[0]!.storageKey);
    const job = await enqueueJob(services, { type: "EMBED", projectId, params: { imageIds: images.map((i) => i.id) } });
    const done = await waitForJob(services, job.id);
    expect(done.status).toBe("SUCCEEDED");
    expect(done.result).toMatchObject({ embedded: 2, failed: 1 });
    const failed = await services.prisma.jobItem.findFirstOrThrow({ where: { jobId: job.id, status: "FAILED" } });
    expect(failed.key).toBe(images[0]!.id);
    expect(failed.message).toMatch(/No stored object/);
  });
});
