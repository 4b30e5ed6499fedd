// The demo seed: users per role with the documented passwords, the Demo project and labels, a built
// model made active, the sample photos ingested by the real job and then embedded; running it again
// changes nothing.
import { afterAll, beforeAll, expect, it } from "vitest";
import { verifyPassword } from "@data-engine/db";
import { seedDemo, DEMO_LABELS, DEMO_USERS } from "../src/seed.ts";
import { startWorkers, type Workers } from "../src/queue/workers.ts";
import { releasePredictors } from "../src/models/load.ts";
import { createTestServices, waitForJob, type TestServices } from "./support/services.ts";

let services: TestServices;
let workers: Workers;
beforeAll(async () => {
  services = await createTestServices();
});
afterAll(async () => {
  await workers?.stop();
  await releasePredictors();
  await services?.cleanup();
});

it("seeds the demo once, through the real jobs", async () => {
  const first = await seedDemo(services);
  expect(first.users.map((u) => [u.email, u.role, u.created])).toEqual(DEMO_USERS.map((u) => [u.email, u.role, true]));
  for (const u of DEMO_USERS) {
    const row = await services.prisma.user.findUniqueOrThrow({ where: { email: u.email } });
    expect(row.passwordHash).not.toContain(u.password);
    expect(await verifyPassword(u.password, row.passwordHash)).toBe(true);
  }
  const project = await services.prisma.project.findUniqueOrThrow({ where: { id: first.projectId }, include: { labelClasses: true, members: true } });
  expect(project.activeModelVersionId).toBe(first.modelVersionId);
  // The demo runs the trained starter model shipped in the repository, with its batched decoder and metrics.
  const model = await services.prisma.modelVersion.findUniqueOrThrow({ where: { id: first.modelVersionId } });
  expect(model.source).toBe("TRAINED");
  expect(model.decoderThroughputKey).toBeTruthy();
  expect(await services.storage.head(model.decoderThroughputKey!)).not.toBeNull();
  expect(model.metrics).toHaveProperty("trainedShapes");
  expect(project.labelClasses.map((l) => l.name).sort()).toEqual(DEMO_LABELS.map((l) => l.name).sort());
  expect(project.members).toHaveLength(3);
  expect(first.ingestJobId).toBeTruthy();

  workers = await startWorkers(services, { log: () => undefined, pollingIntervalSeconds: 0.5, reconcileIntervalMs: 0 });
  const ingest = await waitForJob(services, first.ingestJobId!);
  // Seven sample photos; SOURCES.md is not an image extension and is not even listed.
  expect(ingest.result).toMatchObject({ files: 7, imported: 7, rejected: 0 });
  const embed = await waitForJob(services, (ingest.result as { embedJobId: string }).embedJobId);
  expect(embed.result).toMatchObject({ embedded: 7, failed: 0 });
  expect(await services.prisma.image.count({ where: { projectId: first.projectId, source: "SEED" } })).toBe(7);

  const second = await seedDemo(services);
  expect(second.ingestJobId).toBeNull();
  expect(second.modelVersionId).toBe(first.modelVersionId);
  expect(second.users.every((u) => !u.created)).toBe(true);
  expect(await services.prisma.modelVersion.count()).toBe(1);
  expect(await services.prisma.job.count()).toBe(2);
});
