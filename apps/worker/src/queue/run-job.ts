// Runs one pg-boss job through its handler and keeps the Job row in step with what happens:
// RUNNING with heartbeats and progress, then SUCCEEDED / FAILED / CANCELLED, QUEUED again when the
// queue will retry it, DEAD when retries are exhausted.
import { randomUUID } from "node:crypto";
import { fromPrisma, type JobWithMetadata } from "pg-boss";
import { z } from "zod";
import type { Services } from "../services.ts";
import type { JobDefinition, JsonObject } from "../jobs/types.ts";
import { JobCancelledError, JobClaimLostError, JobReleasedError, PermanentJobError } from "../errors.ts";
import { createJobContext, type ContextControl } from "./context.ts";
import type { QueuePayload } from "./payload.ts";
import { formatZodError } from "./zod-format.ts";

const HEARTBEAT_MS = 5_000;

export type RunOutcome = "succeeded" | "failed" | "cancelled" | "released" | "retrying" | "dead" | "skipped" | "lost";

export async function runQueueJob(
  services: Services,
  def: JobDefinition<unknown>,
  bossJob: JobWithMetadata<QueuePayload>,
  control: ContextControl,
  log: (message: string) => void = () => undefined,
): Promise<{ outcome: RunOutcome; result?: JsonObject }> {
  const prisma = services.prisma;
  const jobId = bossJob.data.jobId;
  const row = await prisma.job.findUnique({ where: { id: jobId } });
  // A queue job whose row is gone (project deleted) or was superseded by a retry has nothing to do.
  if (!row || row.queueJobId !== bossJob.id) return { outcome: "skipped" };
  if (["SUCCEEDED", "FAILED", "CANCELLED", "DEAD"].includes(row.status)) return { outcome: "skipped" };
  const now = new Date();
  if (row.cancelRequestedAt) {
    await prisma.job.updateMany({
      where: { id: jobId, queueJobId: bossJob.id },
      data: { status: "CANCELLED", finishedAt: now, progressMessage: "cancelled" },
    });
    return { outcome: "cancelled" };
  }
  const attempt = bossJob.retryCount + 1;
  await prisma.job.update({
    where: { id: jobId },
    data: {
      status: "RUNNING",
      startedAt: row.startedAt ?? now,
      heartbeatAt: now,
      attempts: attempt,
      finishedAt: null,
      progressMessage: attempt > 1 ? `attempt ${attempt} started` : "started",
    },
  });
  log(`job ${jobId} (${row.type}) attempt ${attempt} started`);

  const heartbeat = setInterval(() => {
    prisma.job
      .updateMany({ where: { id: jobId, queueJobId: bossJob.id, status: "RUNNING" }, data: { heartbeatAt: new Date() } })
      .catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();

  try {
    const parsed = def.params.safeParse(row.params);
    if (!parsed.success) {
      throw new PermanentJobError(`stored parameters are no longer valid: ${formatZodError(parsed.error).join("; ")}`);
    }
    const ctx = createJobContext(
      services,
      { id: jobId, projectId: row.projectId, createdById: row.createdById, priority: row.priority, attempt, queueJobId: bossJob.id },
      parsed.data,
      bossJob.signal,
      control,
    );
    const result = await def.run(ctx);
    const done = await prisma.job.updateMany({
      where: { id: jobId, queueJobId: bossJob.id },
      data: {
        status: "SUCCEEDED",
        progress: 100,
        progressMessage: typeof result.summary === "string" ? result.summary : "done",
        result: result as never,
        error: null,
        finishedAt: new Date(),
      },
    });
    if (done.count === 0) return { outcome: "lost" };
    log(`job ${jobId} succeeded`);
    return { outcome: "succeeded", result };
  } catch (error) {
    return await settleFailure(services, row.type, bossJob, error, log);
  } finally {
    clearInterval(heartbeat);
  }
}

async function settleFailure(
  services: Services,
  type: string,
  bossJob: JobWithMetadata<QueuePayload>,
  error: unknown,
  log: (message: string) => void,
): Promise<{ outcome: RunOutcome }> {
  const prisma = services.prisma;
  const jobId = bossJob.data.jobId;
  const where = { id: jobId, queueJobId: bossJob.id };
  const now = new Date();
  if (error instanceof JobClaimLostError) {
    log(`job ${jobId}: ${error.message}; leaving it to its new owner`);
    return { outcome: "lost" };
  }
  if (error instanceof JobCancelledError) {
    await prisma.job.updateMany({ where, data: { status: "CANCELLED", finishedAt: now, progressMessage: "cancelled" } });
    log(`job ${jobId} cancelled`);
    return { outcome: "cancelled" };
  }
  if (error instanceof JobReleasedError) {
    await releaseToQueue(services, bossJob);
    log(`job ${jobId} released back to the queue (worker stopping)`);
    return { outcome: "released" };
  }
  const message = describeError(error);
  if (error instanceof PermanentJobError || error instanceof z.ZodError) {
    await prisma.job.updateMany({ where, data: { status: "FAILED", error: message, finishedAt: now, progressMessage: "failed" } });
    log(`job ${jobId} (${type}) failed: ${message}`);
    return { outcome: "failed" };
  }
  const willRetry = bossJob.retryCount < bossJob.retryLimit;
  await prisma.job.updateMany({
    where,
    data: willRetry
      ? { status: "QUEUED", error: message, progressMessage: `attempt ${bossJob.retryCount + 1} failed; will retry` }
      : { status: "DEAD", error: message, finishedAt: now, progressMessage: `failed after ${bossJob.retryCount + 1} attempts` },
  });
  log(`job ${jobId} (${type}) attempt ${bossJob.retryCount + 1} failed${willRetry ? " (will retry)" : " (dead)"}: ${message}`);
  // Rethrown so pg-boss applies its retry / backoff / dead-letter policy.
  throw error instanceof Error ? error : new Error(message);
}

/**
 * Gives a job back without spending one of its retries: the current queue job is completed and a new
 * one queued for the same row, in one transaction with the row update.
 */
async function releaseToQueue(services: Services, bossJob: JobWithMetadata<QueuePayload>): Promise<void> {
  const jobId = bossJob.data.jobId;
  const queueJobId = randomUUID();
  await services.prisma.$transaction(async (tx) => {
    const updated = await tx.job.updateMany({
      where: { id: jobId, queueJobId: bossJob.id },
      data: { status: "QUEUED", queueJobId, progressMessage: "released by a stopping worker; queued again" },
    });
    if (updated.count === 0) return;
    const db = fromPrisma(tx);
    await services.queue.complete(bossJob.name, bossJob.id, { released: true }, { db });
    await services.queue.send(bossJob.name, { jobId } satisfies QueuePayload, { id: queueJobId, priority: bossJob.priority, db });
  });
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
