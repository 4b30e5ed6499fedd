// A project for retraining tests: procedural "rings" scenes (a domain the shipped starter model never saw)
// ingested as PNGs, embedded by the starter, and their exact object masks ACCEPTED.
import { createHash } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { expect } from "vitest";
import { encodeMask, rleArea, rleBbox } from "@data-engine/sam-core";
import { generateScene } from "@data-engine/sam-train";
import type { Services } from "../../src/services.ts";
import { enqueueJob } from "../../src/queue/enqueue.ts";
import { activateModel } from "../../src/models/activate.ts";
import { createProject, waitForJob } from "./services.ts";

const SCENE_SEED = 4000;
const SCENE_SIZE = 256;
const scene = (i: number) => generateScene(SCENE_SEED + i, { size: SCENE_SIZE, domain: "rings" });

/** Writes `count` scenes as scene-<i>.png into a new temporary folder. */
export async function writeScenes(count: number): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), "training-scenes-"));
  for (let i = 0; i < count; i++) {
    await sharp(Buffer.from(scene(i).rgb), { raw: { width: SCENE_SIZE, height: SCENE_SIZE, channels: 3 } }).png().toFile(path.join(folder, `scene-${i}.png`));
  }
  return folder;
}

export async function setupTrainingProject(
  services: Services,
  args: { slug: string; folder: string; modelVersionId: string; accept?: boolean; embed?: boolean },
): Promise<string> {
  const projectId = await createProject(services, args.slug);
  const ingest = await enqueueJob(services, { type: "INGEST", projectId, params: { source: { kind: "folder", path: args.folder } } });
  expect((await waitForJob(services, ingest.id)).status).toBe("SUCCEEDED");
  const { embedJob } = await activateModel(services, { projectId, modelVersionId: args.modelVersionId, embed: args.embed ?? true });
  if (embedJob) expect((await waitForJob(services, embedJob.id, 120_000)).status).toBe("SUCCEEDED");
  if (args.accept === false) return projectId;
  await acceptSceneMasks(services, projectId);
  return projectId;
}

/** Stores every ingested scene's exact object masks as ACCEPTED masks of the project. */
export async function acceptSceneMasks(services: Services, projectId: string): Promise<void> {
  const images = await services.prisma.image.findMany({ where: { projectId }, select: { id: true, fileName: true } });
  for (const image of images) {
    const i = Number(/scene-(\d+)/.exec(image.fileName ?? "")![1]);
    for (const m of scene(i).masks) {
      const rle = encodeMask(m);
      await services.prisma.mask.create({
        data: {
          projectId, imageId: image.id, rle: rle.counts, rleChecksum: createHash("sha256").update(rle.counts).digest("hex"),
          bbox: [...rleBbox(rle)], area: rleArea(rle), source: "MANUAL", stage: 1, status: "ACCEPTED",
        },
      });
    }
  }
}
