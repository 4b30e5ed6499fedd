// The export job: freeze the filtered masks into a DatasetVersion, write its files to a scratch folder,
// then publish them to storage as a .tar.gz or a folder, with counts and a checksum on the version.
// Idempotent: the version's id derives from the job, the snapshot is replaced and keys are overwritten.
import { createReadStream } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import path from "node:path";
import { createGzip } from "node:zlib";
import type { Services } from "../../services.ts";
import type { JobContext } from "../../queue/context.ts";
import type { JsonObject } from "../types.ts";
import type { ExportParams } from "./params.ts";
import { snapshotMasks } from "./snapshot.ts";
import { writeDataset } from "./write-dataset.ts";
import { describeFiles, listFiles } from "./manifest.ts";
import { tarStream } from "./tar.ts";

export function datasetVersionIdFor(jobId: string): string {
  return `ds_${jobId}`;
}

export function exportKeys(projectId: string, datasetVersionId: string) {
  return {
    archive: `datasets/${projectId}/${datasetVersionId}.tar.gz`,
    folder: `datasets/${projectId}/${datasetVersionId}/`,
  };
}

export async function runExport(ctx: JobContext<ExportParams>): Promise<JsonObject> {
  const { services, params, job } = ctx;
  const prisma = services.prisma;
  const projectId = job.projectId!;
  const id = datasetVersionIdFor(job.id);
  const name = params.name ?? `export ${new Date().toISOString().slice(0, 16).replace("T", " ")}`;
  const dv = await prisma.datasetVersion.upsert({
    where: { id },
    create: {
      id,
      projectId,
      name,
      kind: "EXPORT",
      status: "BUILDING",
      filter: params.filter as never,
      options: params.options as never,
      jobId: job.id,
      createdById: job.createdById,
    },
    update: { status: "BUILDING", finishedAt: null },
  });
  await ctx.checkpoint(0, 1, "selecting masks");
  const selected = await snapshotMasks(prisma, id, projectId, params.filter);
  await ctx.checkpoint(0, 1, `writing ${selected} masks`);

  const dir = path.join(services.dataDir, "tmp", `export-${id}`);
  try {
    const written = await writeDataset(services, {
      datasetVersionId: id,
      projectId,
      dir,
      options: params.options,
      createdAt: dv.createdAt,
      name: dv.name,
      // Writing is 90% of the progress bar, publishing the rest.
      onProgress: (done, total) => ctx.checkpoint(Math.floor(done * 0.9), Math.max(total, 1), `written ${done}/${total} masks`),
    });
    const files = await describeFiles(dir);
    const manifest = {
      datasetVersionId: id,
      name: dv.name,
      createdAt: dv.createdAt.toISOString(),
      filter: params.filter,
      options: params.options,
      imageCount: written.imageCount,
      maskCount: written.maskCount,
      invalidMasks: written.invalidMasks,
      missingImages: written.missingImages,
      files,
    };
    const manifestText = JSON.stringify(manifest, null, 2);
    const checksum = createHash("sha256").update(manifestText).digest("hex");
    await writeFile(path.join(dir, "manifest.json"), manifestText);

    await ctx.checkpoint(90, 100, "publishing files");
    const keys = exportKeys(projectId, id);
    let storageKey: string;
    if (params.options.layout === "archive") {
      storageKey = keys.archive;
      const entries = (await listFiles(dir)).map((rel) => ({ name: `${id}/${rel}`, file: path.join(dir, rel) }));
      await services.storage.put(storageKey, tarStream(entries, Math.floor(dv.createdAt.getTime() / 1000)).pipe(createGzip()), {
        contentType: "application/gzip",
      });
    } else {
      storageKey = keys.folder;
      await deletePrefix(services, storageKey);
      for (const rel of await listFiles(dir)) {
        await services.storage.put(`${storageKey}${rel}`, createReadStream(path.join(dir, rel)));
      }
    }
    await prisma.datasetVersion.update({
      where: { id },
      data: {
        status: "READY",
        storageKey,
        imageCount: written.imageCount,
        maskCount: written.maskCount,
        checksum,
        finishedAt: new Date(),
      },
    });
    return {
      summary: [
        `exported ${written.maskCount} masks on ${written.imageCount} images`,
        written.invalidMasks.length ? `${written.invalidMasks.length} invalid masks left out` : "",
        written.missingImages.length ? `${written.missingImages.length} image files missing` : "",
      ]
        .filter(Boolean)
        .join("; "),
      datasetVersionId: id,
      storageKey,
      imageCount: written.imageCount,
      maskCount: written.maskCount,
      invalidMasks: written.invalidMasks.length,
      missingImages: written.missingImages.length,
      checksum,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function deletePrefix(services: Services, prefix: string): Promise<void> {
  const keys: string[] = [];
  for await (const entry of services.storage.list(prefix)) keys.push(entry.key);
  for (const key of keys) await services.storage.delete(key);
}
