// Cancelling and retrying jobs, keeping the Job row and the pg-boss job in step.
import { randomUUID } from "node:crypto";
import { fromPrisma } from "pg-boss";
import type { Job as JobRow } from "@data-engine/db";
import type { Services } from "../services.ts";
import { JobNotFoundError, JobStateError } from "../errors.ts";
import { queueFor } from "./queues.ts";
import type { QueuePayload } from "./payload.ts";

const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "DEAD"]);

/**
 * Cancels a job. A queued job is cancelled at once; a running one is asked to stop at its next safe
 * point (its handler then marks it CANCELLED). Cancelling a cancelled job is a no-op.
 */
export async function cancelJob(services: Services, jobId: string): Promise<JobRow> {
  const row = await services.prisma.job.findUnique({ where: { id: jobId } });
  if (!row) throw new JobNotFoundError(jobId);
  if (row.status === "CANCELLED") return row;
  if (FINAL.has(row.status)) throw new JobStateError(`Job ${jobId} already finished (${row.status}); nothing to cancel`);
  const now = new Date();
  if (row.status === "QUEUED") {
    const cancelled = await services.prisma.$transaction(async (tx) => {
      const updated = await tx.job.updateManyAndReturn({
        where: { id: jobId, status: "QUEUED", queueJobId: row.queueJobId },
        data: { status: "CANCELLED", cancelRequestedAt: now, finishedAt: now, progressMessage: "cancelled before it started" },
      });
      if (updated.length === 0) return null;
      if (row.queueName && row.queueJobId) await services.queue.cancel(row.queueName, row.queueJobId, { db: fromPrisma(tx) });
      return updated[0]!;
    });
    // Null: a worker picked it up meanwhile, so it is cancelled like a running job.
    if (cancelled) return cancelled;
  }
  return cancelRunning(services, jobId, now);
}

async function cancelRunning(services: Services, jobId: string, now: Date): Promise<JobRow> {
  // The handler notices cancelRequestedAt at its next checkpoint and finishes the row as CANCELLED.
  const row = await services.prisma.job.update({ where: { id: jobId }, data: { cancelRequestedAt: now } });
  return row;
}

/**
 * Runs a FAILED, DEAD or CANCELLED job again as a fresh queue job. Items it already finished are not
 * redone: handlers skip the keys recorded DONE or SKIPPED.
 */
export async function retryJob(services: Services, jobId: string): Promise<JobRow> {
  const row = await services.prisma.job.findUnique({ where: { id: jobId } });
  if (!row) throw new JobNotFoundError(jobId);
  if (!["FAILED", "DEAD", "CANCELLED"].includes(row.status)) {
    throw new JobStateError(`Job ${jobId} is ${row.status}; only FAILED, DEAD or CANCELLED jobs can be retried`);
  }
  const queueName = queueFor(row.type, row.priority);
  const queueJobId = randomUUID();
  return services.prisma.$transaction(async (tx) => {
    const updated = await tx.job.updateManyAndReturn({
      where: { id: jobId, status: row.status, queueJobId: row.queueJobId },
      data: {
        status: "QUEUED",
        queueName,
        queueJobId,
        error: null,
        finishedAt: null,
        cancelRequestedAt: null,
        progressMessage: "queued again (retry)",
      },
    });
    if (updated.length === 0) throw new JobStateError(`Job ${jobId} changed while retrying it; try again`);
    const payload: QueuePayload = { jobId };
    await services.queue.send(queueName, payload as object, { id: queueJobId, priority: row.priority, db: fromPrisma(tx) });
    return updated[0]!;
  });
}
