// The external-trainer contract end to end through the admin CLI: a round's snapshot is written as a
// bundle; a stand-in trainer that reads nothing but the bundle's files (and the storage keys they name)
// fine-tunes the decoder on the TRAIN masks and writes result/decoder.onnx; `training import` registers it
// as an EXTERNAL candidate evaluated here on the HELDOUT masks. Importing it with an encoder takes the
// other path (held-out images embedded by that encoder) and must measure the same thing.
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeEmbedding, decodeMask, importDecoderWeights, type CocoRle } from "@data-engine/sam-core";
import { exportDecoder, maskToModelFrame, trainDecoder, type MaskSample } from "@data-engine/sam-train";
import { startWorkers, type Workers } from "../src/queue/workers.ts";
import { registerStarterModel } from "../src/models/starter.ts";
import { releasePredictors } from "../src/models/load.ts";
import { COMMANDS } from "../src/cli/commands.ts";
import type { Output } from "../src/cli/output.ts";
import { createTestServices, waitForJob, type TestServices } from "./support/services.ts";
import { setupTrainingProject, writeScenes } from "./support/training-project.ts";

let services: TestServices;
let workers: Workers | undefined;
let folder: string;
let tmp: string;
let starterId: string;

beforeAll(async () => {
  services = await createTestServices();
  // 12 scenes: the by-image split depends on the (random) image ids, and with 8 an unlucky split could leave
  // fewer than the 8 training masks a round needs.
  folder = await writeScenes(12);
  tmp = await mkdtemp(path.join(tmpdir(), "external-trainer-"));
  starterId = (await registerStarterModel(services)).id;
  workers = await startWorkers(services, { log: () => undefined, pollingIntervalSeconds: 0.5, reconcileIntervalMs: 0 });
}, 120_000);
afterAll(async () => {
  await workers?.stop();
  await releasePredictors();
  await services?.cleanup();
  for (const dir of [folder, tmp]) if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(name: string, values: Record<string, string | boolean>): Promise<unknown> {
  const results: unknown[] = [];
  const out: Output = { json: true, result: (v) => results.push(v), info: () => undefined, progress: () => undefined, endProgress: () => undefined };
  const code = await COMMANDS.find((c) => c.name === name)!.run({ services, out, runHere: false }, values, []);
  expect(code).toBe(0);
  return results[0];
}

const bytes = async (key: string) => new Uint8Array(await services.storage.getBytes(key));
const text = async (key: string) => Buffer.from(await bytes(key)).toString("utf8");
const lines = async (key: string) => (await text(key)).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** The stand-in external trainer: only the bundle's files and the keys they name. */
async function externalTrainer(prefix: string): Promise<{ trainedOn: Set<string> }> {
  const manifest = JSON.parse(await text(`${prefix}manifest.json`)) as { files: Record<string, { sha256: string }> };
  for (const [file, info] of Object.entries(manifest.files)) {
    expect(createHash("sha256").update(await bytes(prefix + file)).digest("hex")).toBe(info.sha256);
  }
  const job = JSON.parse(await text(`${prefix}job.json`)) as { baseModel: { decoder: { key: string } }; outputs: { prefix: string }; recipe: { trainOn: string } };
  const base = importDecoderWeights(await bytes(job.baseModel.decoder.key));
  const images = new Map((await lines(`${prefix}images.jsonl`)).map((i) => [i.id as string, i]));
  const samples: MaskSample[] = [];
  const trainedOn = new Set<string>();
  for (const m of await lines(`${prefix}masks.jsonl`)) {
    if (m.split !== job.recipe.trainOn) continue;
    const image = images.get(m.imageId as string)!;
    const emb = decodeEmbedding(await bytes(image.embeddingKey as string));
    samples.push({ imageId: image.id as string, embedding: emb.data, embShape: emb.shape, mask: maskToModelFrame(decodeMask(m.segmentation as CocoRle), base.config, "low") });
    trainedOn.add(image.id as string);
  }
  const r = await trainDecoder({
    config: base.config, baseWeights: base.weights, samples, steps: 16, seed: 3, trainable: "heads", maxObjectsPerStep: 4,
    simulation: { pointRounds: 1, maskOnlyRounds: 1, boxProbability: 0.5 }, schedule: { lr: 3e-4, warmupSteps: 2, decay: "constant" }, loss: { focal: 0, dice: 1, iou: 1 },
  });
  await services.storage.put(`${job.outputs.prefix}decoder.onnx`, exportDecoder(base.config, r.weights).decoder);
  await services.storage.put(`${job.outputs.prefix}metrics.json`, Buffer.from(JSON.stringify({ finalLoss: r.log[r.log.length - 1]!.loss, steps: r.steps })));
  return { trainedOn };
}

describe("the external trainer contract", () => {
  it("bundles a snapshot, imports the trainer's decoder as a candidate and evaluates it here", { timeout: 300_000 }, async () => {
    const projectId = await setupTrainingProject(services, { slug: "ext", folder, modelVersionId: starterId });
    // A round from the CLI, only to get a snapshot and a run to bundle (few steps).
    const queued = (await cli("retrain", { project: "ext", steps: "4", trainable: "heads", objects: "2", focal: "0", "held-out": "0.3", "no-wait": true })) as { id: string };
    const ended = await waitForJob(services, queued.id, 240_000);
    expect(ended.status, ended.error ?? "").toBe("SUCCEEDED");
    const run = await services.prisma.trainingRun.findFirstOrThrow({ where: { projectId } });

    const bundle = (await cli("training bundle", { project: "ext", run: run.id })) as { prefix: string; masks: number; images: number };
    const items = await services.prisma.datasetItem.findMany({ where: { datasetVersionId: run.datasetVersionId } });
    expect(bundle.masks).toBe(items.length);
    const { trainedOn } = await externalTrainer(bundle.prefix);
    const heldImages = new Set(items.filter((i) => i.split === "HELDOUT").map((i) => i.imageId));
    expect(heldImages.size).toBeGreaterThan(0);
    for (const id of heldImages) expect(trainedOn.has(id)).toBe(false);

    const imported = (await cli("training import", { project: "ext", bundle: bundle.prefix })) as { model: { id: string; source: string; parentId: string; metrics: { heldOut: { mIoU1Click: number; masks: number }; base: { mIoU1Click: number }; beatsBase: boolean; external: { reported: { steps: number } } } }; beatsBase: boolean };
    expect(imported.model).toMatchObject({ source: "EXTERNAL", parentId: starterId });
    const m = imported.model.metrics;
    expect(m.heldOut.masks).toBe(items.filter((i) => i.split === "HELDOUT").length);
    expect(m.external.reported.steps).toBe(16);
    expect(m.base.mIoU1Click).toBeCloseTo((run.baseMetrics as { mIoU1Click: number }).mIoU1Click, 10);
    // Same files again: the same model version, not a second one.
    const again = (await cli("training import", { project: "ext", bundle: bundle.prefix })) as { model: { id: string } };
    expect(again.model.id).toBe(imported.model.id);

    // The encoder path: the base encoder file given as "trained", with the same decoder: the held-out images
    // are embedded here (float32) instead of read (stored float16), so the numbers agree closely.
    const base = await services.prisma.modelVersion.findUniqueOrThrow({ where: { id: starterId } });
    const enc = path.join(tmp, "encoder.onnx");
    const dec = path.join(tmp, "decoder.onnx");
    await writeFile(enc, await bytes(base.encoderKey));
    await writeFile(dec, await bytes(`${bundle.prefix}result/decoder.onnx`));
    const withEncoder = (await cli("training import", { project: "ext", bundle: bundle.prefix, encoder: enc, decoder: dec, name: "with encoder" })) as { model: { id: string; encoderKey: string; metrics: { heldOut: { mIoU1Click: number; mIoUBox: number } } } };
    expect(withEncoder.model.id).not.toBe(imported.model.id);
    expect(withEncoder.model.metrics.heldOut.mIoU1Click).toBeCloseTo(m.heldOut.mIoU1Click, 2);

    const listed = (await cli("training list", { project: "ext" })) as { id: string; status: string }[];
    expect(listed.map((r) => r.status)).toEqual(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
    // Promotion follows the held-out comparison made here, not the trainer's numbers.
    const promote = COMMANDS.find((c) => c.name === "model promote")!;
    const noop: Output = { json: true, result: () => undefined, info: () => undefined, progress: () => undefined, endProgress: () => undefined };
    const attempt = promote.run({ services, out: noop, runHere: false }, { project: "ext", model: imported.model.id }, []);
    if (imported.beatsBase) await expect(attempt).resolves.toBe(0);
    else await expect(attempt).rejects.toThrow(/does not beat the active model/);
  });

  it("refuses a bundle prefix of another project and a result that is not a SAM decoder", { timeout: 120_000 }, async () => {
    const projectId = (await services.prisma.project.findUniqueOrThrow({ where: { slug: "ext" } })).id;
    const importCmd = COMMANDS.find((c) => c.name === "training import")!;
    const noop: Output = { json: true, result: () => undefined, info: () => undefined, progress: () => undefined, endProgress: () => undefined };
    await expect(importCmd.run({ services, out: noop, runHere: false }, { project: "ext", bundle: "projects/other/training-bundles/x/" }, [])).rejects.toThrow(/not a training bundle of this project/);
    const prefix = (await services.prisma.trainingRun.findFirstOrThrow({ where: { projectId, producedModel: { source: "EXTERNAL" } } })).config as { bundle: string };
    const junk = path.join(tmp, "junk.onnx");
    await writeFile(junk, "not a model");
    await expect(importCmd.run({ services, out: noop, runHere: false }, { project: "ext", bundle: prefix.bundle, decoder: junk }, [])).rejects.toThrow(/not a SAM decoder export/);
  });
});
