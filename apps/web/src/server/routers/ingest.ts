// Image import for administrators: start the worker's INGEST job on a batch uploaded from the browser
// (see files/image-uploads.ts), a folder on the server or an S3 prefix, and follow it with the outcome of
// every file (imported, duplicate, rejected with the reason) from the job's items.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../audit.ts";
import { BATCH_ID, uploadBatchPrefix } from "../files/image-uploads.ts";
import { adminProjectProcedure, router } from "../trpc/init.ts";
import { callWorker } from "../trpc/worker-errors.ts";

/** The most file outcomes one `get` returns (problems first); the counts always cover every file. */
export const MAX_ITEMS = 1000;

// The worker validates the full parameters again (apps/worker/src/jobs/ingest/params.ts); these are
// the shapes the page may ask for.
const source = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("upload"), batchId: z.string().regex(BATCH_ID, "is not an upload batch id") }),
  z.object({
    kind: z.literal("folder"),
    path: z.string().trim().min(1, "enter a folder path").refine((p) => p.startsWith("/"), "must be an absolute path on the server (starting with /)"),
    recursive: z.boolean().default(true),
  }),
  z.object({
    kind: z.literal("s3"),
    bucket: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/, "is not a valid bucket name")
      .optional(),
    prefix: z.string().trim().default(""),
  }),
]);

const FOLLOWUP = "~"; // the job's own bookkeeping items (e.g. "~embed"), not files

/** The file's name as the user picked it: uploads are stored as <prefix><n>/<name>. */
function displayName(key: string, prefix: string | null): string {
  if (prefix && key.startsWith(prefix)) return key.slice(prefix.length).replace(/^\d+\//, "");
  return key;
}

type Outcome = "imported" | "duplicate" | "rejected" | "pending";
const OUTCOME: Record<string, Outcome> = { DONE: "imported", SKIPPED: "duplicate", FAILED: "rejected", PENDING: "pending" };
const ORDER: Record<Outcome, number> = { rejected: 0, duplicate: 1, pending: 2, imported: 3 };

function jobSource(params: unknown): { kind: string; prefix: string | null; label: string } {
  const s = ((params ?? {}) as { source?: { kind?: string; prefix?: string; path?: string; bucket?: string } }).source ?? {};
  if (s.kind === "upload") return { kind: "upload", prefix: s.prefix ?? null, label: "browser upload" };
  if (s.kind === "folder") return { kind: "folder", prefix: null, label: `folder ${s.path ?? "?"}` };
  if (s.kind === "s3") return { kind: "s3", prefix: s.prefix ?? null, label: `S3 ${s.bucket ? `${s.bucket}/` : ""}${s.prefix ?? ""}` };
  return { kind: s.kind ?? "unknown", prefix: null, label: s.kind ?? "unknown source" };
}

export const ingestRouter = router({
  /** Queues an INGEST job; starting the same upload batch twice returns the first job. */
  start: adminProjectProcedure.input(z.object({ source })).mutation(async ({ ctx, input }) => {
    let params: Record<string, unknown>;
    if (input.source.kind === "upload") {
      const prefix = uploadBatchPrefix(ctx.projectId, input.source.batchId);
      const existing = await ctx.prisma.job.findFirst({
        where: { projectId: ctx.projectId, type: "INGEST", params: { path: ["source", "prefix"], equals: prefix } },
        select: { id: true },
      });
      if (existing) return { jobId: existing.id };
      const first = await ctx.runtime.storage.list(prefix)[Symbol.asyncIterator]().next();
      if (first.done) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "No file of this upload arrived: upload the images again" });
      params = { source: { kind: "upload", prefix } };
    } else if (input.source.kind === "folder") {
      params = { source: { kind: "folder", path: input.source.path, recursive: input.source.recursive } };
    } else {
      params = { source: { kind: "s3", prefix: input.source.prefix, ...(input.source.bucket ? { bucket: input.source.bucket } : {}) } };
    }
    const job = await callWorker(() => ctx.runtime.jobs.enqueue({ type: "INGEST", projectId: ctx.projectId, params, createdById: ctx.user.id }));
    await recordAudit(ctx.prisma, {
      actorId: ctx.user.id, projectId: ctx.projectId, action: "images.import", entityType: "Job", entityId: job.id, data: params,
    });
    return { jobId: job.id };
  }),

  /** One import: the job's progress and the outcome of each file, rejected and duplicate files first. */
  get: adminProjectProcedure.input(z.object({ jobId: z.string().min(1) })).query(async ({ ctx, input }) => {
    const job = await ctx.prisma.job.findFirst({ where: { id: input.jobId, projectId: ctx.projectId, type: "INGEST" } });
    if (!job) throw new TRPCError({ code: "NOT_FOUND", message: `Import ${input.jobId} does not exist in this project` });
    const source = jobSource(job.params);
    const rows = await ctx.prisma.jobItem.findMany({
      where: { jobId: job.id, NOT: { key: { startsWith: FOLLOWUP } } },
      select: { key: true, status: true, message: true, result: true },
    });
    const counts: Record<Outcome, number> = { imported: 0, duplicate: 0, rejected: 0, pending: 0 };
    const files = rows.map((row) => {
      const outcome = OUTCOME[row.status] ?? "pending";
      counts[outcome]++;
      const result = (row.result ?? {}) as { imageId?: string; duplicateOf?: string };
      return {
        key: row.key,
        name: displayName(row.key, source.prefix),
        outcome,
        message: row.message,
        imageId: result.imageId ?? result.duplicateOf ?? null,
      };
    });
    files.sort((a, b) => ORDER[a.outcome] - ORDER[b.outcome] || a.name.localeCompare(b.name));
    return {
      job: {
        id: job.id, status: job.status, progress: job.progress, progressMessage: job.progressMessage, error: job.error,
        result: job.result as { summary?: string; embedJobId?: string | null } | null, createdAt: job.createdAt, finishedAt: job.finishedAt,
      },
      source: { kind: source.kind, label: source.label },
      counts,
      files: files.slice(0, MAX_ITEMS),
      truncated: files.length > MAX_ITEMS,
    };
  }),

  /** The project's recent imports, newest first. */
  list: adminProjectProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(20) }))
    .query(async ({ ctx, input }) => {
      const jobs = await ctx.prisma.job.findMany({
        where: { projectId: ctx.projectId, type: "INGEST" },
        orderBy: { createdAt: "desc" },
        take: input.limit,
        select: { id: true, status: true, progress: true, progressMessage: true, error: true, result: true, params: true, createdAt: true },
      });
      return jobs.map(({ params, result, ...job }) => ({
        ...job,
        source: jobSource(params).label,
        summary: ((result ?? {}) as { summary?: string }).summary ?? null,
      }));
    }),
});
