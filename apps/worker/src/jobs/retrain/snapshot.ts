// A training snapshot: the masks a round trains and evaluates on, frozen in a TRAINING dataset version
// (mask ids with the checksum their RLE had) and split by image into TRAIN and HELDOUT. Made once per
// round: a resumed round reuses the READY snapshot even if new masks were accepted in the meantime.
import { createHash } from "node:crypto";
import type { DatasetVersion } from "@data-engine/db";
import type { Services } from "../../services.ts";
import { PermanentJobError } from "../../errors.ts";
import { snapshotMasks } from "../export/snapshot.ts";
import type { ExportFilter } from "../export/params.ts";
import { heldOutImages } from "./split.ts";

export interface SnapshotRequest {
  /** Stable id (derived from the job) so a re-run finds the snapshot it started. */
  id: string;
  projectId: string;
  name: string;
  filter: ExportFilter;
  heldOutFraction: number;
  splitSeed: number;
  jobId: string | null;
  createdById: string | null;
}

export async function freezeTrainingSnapshot(services: Services, req: SnapshotRequest): Promise<DatasetVersion> {
  const prisma = services.prisma;
  const found = await prisma.datasetVersion.findUnique({ where: { id: req.id } });
  if (found?.status === "READY") return found;
  await prisma.datasetVersion.upsert({
    where: { id: req.id },
    create: {
      id: req.id,
      projectId: req.projectId,
      name: req.name,
      kind: "TRAINING",
      status: "BUILDING",
      filter: req.filter as never,
      splitSeed: req.splitSeed,
      heldOutFraction: req.heldOutFraction,
      jobId: req.jobId,
      createdById: req.createdById,
    },
    update: { status: "BUILDING", finishedAt: null },
  });
  await snapshotMasks(prisma, req.id, req.projectId, req.filter);
  const items = await prisma.datasetItem.findMany({
    where: { datasetVersionId: req.id },
    select: { maskId: true, imageId: true, rleChecksum: true },
    orderBy: { maskId: "asc" },
  });
  const held = heldOutImages(
    items.map((i) => i.imageId),
    req.splitSeed,
    req.heldOutFraction,
  );
  await prisma.datasetItem.updateMany({ where: { datasetVersionId: req.id, imageId: { in: [...held] } }, data: { split: "HELDOUT" } });
  const lines = items.map((i) => `${i.maskId} ${i.rleChecksum} ${held.has(i.imageId) ? "HELDOUT" : "TRAIN"}`);
  const checksum = createHash("sha256").update(lines.join("\n")).digest("hex");
  return prisma.datasetVersion.update({
    where: { id: req.id },
    data: {
      status: "READY",
      imageCount: new Set(items.map((i) => i.imageId)).size,
      maskCount: items.length,
      checksum,
      finishedAt: new Date(),
    },
  });
}

/** An existing snapshot named by the caller: it must be a READY training version of this project. */
export async function existingTrainingSnapshot(services: Services, projectId: string, id: string): Promise<DatasetVersion> {
  const dv = await services.prisma.datasetVersion.findUnique({ where: { id } });
  if (!dv || dv.projectId !== projectId) throw new PermanentJobError(`No dataset version "${id}" in this project`);
  if (dv.kind !== "TRAINING") throw new PermanentJobError(`Dataset version "${id}" is an export, not a training snapshot (it has no train/held-out split)`);
  if (dv.status !== "READY") throw new PermanentJobError(`Dataset version "${id}" is ${dv.status.toLowerCase()}, not ready`);
  return dv;
}
