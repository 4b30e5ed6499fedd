// Kill -9 a worker process in the middle of a retraining round (after it saved a checkpoint), start
// another, and check the round completes once: one training run, one candidate, and the very decoder an
// uninterrupted round on the same snapshot produces (harness: support/crash-harness.ts).
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { registerStarterModel } from "../src/models/starter.ts";
import { activateModel } from "../src/models/activate.ts";
import { trainingRunIdFor } from "../src/jobs/retrain/handler.ts";
import { createCrashHarness, type CrashHarness } from "./support/crash-harness.ts";
import { acceptSceneMasks, writeScenes } from "./support/training-project.ts";

const onPostgres = process.env.TEST_DATABASE === "postgres";
let harness: CrashHarness;
let folder: string;

beforeAll(async () => {
  harness = await createCrashHarness("crash-retrain-");
  folder = await writeScenes(8);
});
afterEach(async () => {
  await harness.killAll();
});
afterAll(async () => {
  await harness?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

const trainer = { steps: 16, trainable: "heads", lr: 3e-4, warmupSteps: 2, decay: "constant", maxObjectsPerStep: 4, pointRounds: 2, maskOnlyRounds: 1, loss: { focal: 0, dice: 1, iou: 1 }, checkpointEvery: 2, evalClicks: 2, seed: 5 };

describe(`a worker killed with SIGKILL mid-round (${onPostgres ? "PostgreSQL" : "PGlite"})`, () => {
  it("resumes the round from its checkpoint and produces the uninterrupted round's decoder", { timeout: 300_000 }, async () => {
    // Setup through worker processes: ingest the scenes, embed them with the starter, accept their masks.
    const { projectId, ingestId } = await harness.withServices(async (services) => {
      const starter = await registerStarterModel(services);
      const project = await services.prisma.project.create({ data: { name: "crash", slug: "crash-retrain", activeModelVersionId: starter.id } });
      const ingest = await enqueueJob(services, { type: "INGEST", projectId: project.id, params: { source: { kind: "folder", path: folder } } });
      return { projectId: project.id, ingestId: ingest.id };
    });
    expect((await harness.runWorker(ingestId)).status).toBe("SUCCEEDED");
    const embedId = await harness.withServices(async (services) => {
      const project = await services.prisma.project.findUniqueOrThrow({ where: { id: projectId } });
      const { embedJob } = await activateModel(services, { projectId, modelVersionId: project.activeModelVersionId! });
      return embedJob!.id;
    });
    expect((await harness.runWorker(embedId)).status).toBe("SUCCEEDED");
    const [killedId, cleanId] = await harness.withServices(async (services) => {
      await acceptSceneMasks(services, projectId);
      const params = { heldOutFraction: 0.3, splitSeed: 2, trainer };
      const a = await enqueueJob(services, { type: "RETRAIN", projectId, params });
      const b = await enqueueJob(services, { type: "RETRAIN", projectId, params });
      return [a.id, b.id];
    });

    // Killed once its first checkpoints are in storage (the file exists from the first save on).
    const checkpoint = path.join(harness.dataDir, "files", "projects", projectId, "training", trainingRunIdFor(killedId), "checkpoint.bin");
    const result = await harness.killMidwayAndRestart(killedId, async () => existsSync(checkpoint));
    expect(result.status, result.log).toBe("SUCCEEDED");
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect((await harness.runWorker(cleanId)).status).toBe("SUCCEEDED");

    await harness.withServices(async (services) => {
      const runs = await services.prisma.trainingRun.findMany({ where: { projectId }, include: { producedModel: true } });
      expect(runs).toHaveLength(2);
      const killed = runs.find((r) => r.jobId === killedId)!;
      const clean = runs.find((r) => r.jobId === cleanId)!;
      expect(killed.status).toBe("SUCCEEDED");
      expect(killed.step).toBe(trainer.steps);
      expect(await services.prisma.modelVersion.count({ where: { config: { path: ["trainingRunId"], equals: killed.id } } })).toBe(1);
      expect(killed.producedModel!.decoderSha256).toBe(clean.producedModel!.decoderSha256);
      expect(killed.metrics).toEqual(clean.metrics);
      // One snapshot per round, frozen once.
      expect(await services.prisma.datasetVersion.count({ where: { projectId, kind: "TRAINING" } })).toBe(2);
    });
  });
});
