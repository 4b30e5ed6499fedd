// The ingest job: every file of the source becomes an Image (or a recorded reason why not). Resumable:
// items already recorded are skipped, storage keys derive from content, and the Image row and the item's
// outcome are written in one transaction, so a crash at any point leaves no duplicate behind.
import { createHash } from "node:crypto";
import type { Prisma as PrismaNS } from "@data-engine/db";
import type { ItemOutcome, JobContext } from "../../queue/context.ts";
import { enqueueJob } from "../../queue/enqueue.ts";
import type { JsonObject } from "../types.ts";
import { ImageRejectedError, normaliseImage } from "./normalise.ts";
import type { IngestParams } from "./params.ts";
import { openSource, type IngestSource, type SourceEntry } from "./sources.ts";
import { imageKey, thumbnailKey } from "./storage-keys.ts";

interface IngestMeta {
  ingestJobId?: string;
  ingestItemKey?: string;
}

export async function runIngest(ctx: JobContext<IngestParams>): Promise<JsonObject> {
  const source = openSource(ctx.services, ctx.params.source);
  try {
    return await ingestFrom(ctx, source);
  } finally {
    source.close?.();
  }
}

async function ingestFrom(ctx: JobContext<IngestParams>, source: IngestSource): Promise<JsonObject> {
  const { services, params, job } = ctx;
  const projectId = job.projectId!;
  const prisma = services.prisma;
  let entries: SourceEntry[] = await source.list();
  if (params.extensions) {
    const allowed = new Set(params.extensions.map((e) => e.toLowerCase()));
    entries = entries.filter((e) => allowed.has(e.key.split(".").pop()!.toLowerCase()));
  }
  const finished = await ctx.finishedItems();
  const total = entries.length;
  let done = 0;

  for (const entry of entries) {
    await ctx.checkpoint(done, total, `importing ${done}/${total} files`);
    done++;
    if (finished.has(entry.key)) continue;
    try {
      if (entry.size > params.maxFileBytes) {
        throw new ImageRejectedError(`the file is ${entry.size} bytes, over the limit of ${params.maxFileBytes}`);
      }
      const bytes = await source.read(entry.key);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      const existing = await prisma.image.findUnique({
        where: { projectId_sha256: { projectId, sha256 } },
        select: { id: true, fileName: true, metadata: true },
      });
      if (existing) {
        const meta = (existing.metadata ?? {}) as IngestMeta;
        if (meta.ingestJobId === job.id && meta.ingestItemKey === entry.key) {
          // This very item was imported before a crash that came before its outcome was recorded.
          await ctx.recordItem(entry.key, { status: "DONE", result: { imageId: existing.id } });
        } else {
          await ctx.recordItem(entry.key, {
            status: "SKIPPED",
            message: `duplicate of image "${existing.fileName}" (${existing.id}) already in the project`,
            result: { duplicateOf: existing.id },
          });
        }
        await source.remove?.(entry.key);
        continue;
      }
      const image = await normaliseImage(bytes, { maxPixels: params.maxPixels });
      const key = imageKey(projectId, sha256, image.extension);
      const thumbKey = thumbnailKey(projectId, sha256);
      await services.storage.put(key, image.bytes, { contentType: image.mimeType });
      await services.storage.put(thumbKey, image.thumbnail, { contentType: "image/jpeg" });
      const metadata: IngestMeta & Record<string, unknown> = {
        ingestJobId: job.id,
        ingestItemKey: entry.key,
        original: image.original,
        originalSizeBytes: bytes.length,
      };
      const outcome = await prisma.$transaction(async (tx) => {
        // Another job may have imported the same content meanwhile: the unique (project, sha256) decides.
        const inserted = await tx.image.createManyAndReturn({
          data: [
            {
              projectId,
              storageKey: key,
              thumbnailKey: thumbKey,
              fileName: source.fileName(entry.key),
              mimeType: image.mimeType,
              sizeBytes: image.bytes.length,
              width: image.width,
              height: image.height,
              sha256,
              source: source.origin,
              sourceUri: source.uri(entry.key),
              metadata: metadata as PrismaNS.InputJsonValue,
            },
          ],
          skipDuplicates: true,
          select: { id: true },
        });
        const imageId = inserted[0]?.id;
        const data = imageId
          ? { status: "DONE" as const, message: null, result: { imageId } }
          : { status: "SKIPPED" as const, message: "duplicate of an image imported at the same time", result: {} };
        await tx.jobItem.upsert({
          where: { jobId_key: { jobId: job.id, key: entry.key } },
          create: { jobId: job.id, key: entry.key, ...data },
          update: data,
        });
        return data.status;
      });
      if (outcome) await source.remove?.(entry.key);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await ctx.recordItem(entry.key, { status: "FAILED", message: reason });
    }
  }
  await ctx.checkpoint(total, total, `imported ${total}/${total} files`);
  const counts = await ctx.itemCounts();
  const embedJobId = counts.DONE > 0 ? await queueEmbeddings(ctx, finished) : null;
  return {
    summary: `${counts.DONE} imported, ${counts.SKIPPED} duplicates skipped, ${counts.FAILED} rejected`,
    files: total,
    imported: counts.DONE,
    duplicates: counts.SKIPPED,
    rejected: counts.FAILED,
    embedJobId,
  };
}

const FOLLOWUP_EMBED = "~embed";

/** New images get embeddings with the project's active model, queued once per ingest job. */
async function queueEmbeddings(ctx: JobContext<IngestParams>, finished: Map<string, ItemOutcome>): Promise<string | null> {
  const previous = finished.get(FOLLOWUP_EMBED);
  if (previous) return (previous.result?.jobId as string | undefined) ?? null;
  const { services, job } = ctx;
  const project = await services.prisma.project.findUnique({ where: { id: job.projectId! }, select: { activeModelVersionId: true } });
  if (!project?.activeModelVersionId) return null;
  const embed = await enqueueJob(services, {
    type: "EMBED",
    projectId: job.projectId,
    params: { modelVersionId: project.activeModelVersionId },
    createdById: job.createdById,
  });
  await ctx.recordItem(FOLLOWUP_EMBED, { status: "DONE", result: { jobId: embed.id } });
  return embed.id;
}
