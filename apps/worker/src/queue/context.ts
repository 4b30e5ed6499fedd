// What a running handler sees: its parameters, the services, and the means to report progress, record
// per-item outcomes and notice cancellation or shutdown at safe points.
import type { JobItemStatus } from "@data-engine/db";
import type { Services } from "../services.ts";
import { JobCancelledError, JobClaimLostError, JobReleasedError } from "../errors.ts";

export interface JobRowInfo {
  id: string;
  projectId: string | null;
  createdById: string | null;
  priority: number;
  /** 1 for the first attempt. */
  attempt: number;
  queueJobId: string;
}

export interface ItemOutcome {
  status: Exclude<JobItemStatus, "PENDING">;
  message?: string | null;
  result?: Record<string, unknown> | null;
}

export interface JobContext<P> {
  services: Services;
  job: JobRowInfo;
  params: P;
  /** Aborted when the job is cancelled, the worker is stopping, or the queue took the job back. */
  signal: AbortSignal;
  /**
   * A safe point: throws JobCancelledError / JobReleasedError / JobClaimLostError when the handler should
   * stop here. Also reports progress (done of total, with a message) at most a few times per second.
   */
  checkpoint(done: number, total: number, message: string): Promise<void>;
  /** Keys of items this job already finished (DONE or SKIPPED) in an earlier attempt. */
  finishedItems(): Promise<Map<string, ItemOutcome>>;
  /** Records the outcome of one item (idempotent per key). */
  recordItem(key: string, outcome: ItemOutcome): Promise<void>;
  /** Counts of item outcomes recorded so far (keys starting with "~" are bookkeeping, not items). */
  itemCounts(): Promise<Record<JobItemStatus, number>>;
}

export interface ContextControl {
  /** Set by the worker when it is stopping. */
  stopping(): boolean;
}

const PROGRESS_INTERVAL_MS = 400;

export function createJobContext<P>(
  services: Services,
  job: JobRowInfo,
  params: P,
  signal: AbortSignal,
  control: ContextControl,
): JobContext<P> {
  const prisma = services.prisma;
  let lastWrite = 0;
  let cancelSeen = false;

  const ensureRunnable = () => {
    if (cancelSeen) throw new JobCancelledError(job.id);
    if (control.stopping()) throw new JobReleasedError(job.id);
    if (signal.aborted) throw new JobClaimLostError(job.id);
  };

  return {
    services,
    job,
    params,
    signal,
    async checkpoint(done, total, message) {
      ensureRunnable();
      const now = Date.now();
      if (now - lastWrite < PROGRESS_INTERVAL_MS && done < total) return;
      lastWrite = now;
      const progress = total > 0 ? Math.min(99, Math.floor((100 * done) / total)) : 0;
      const rows = await prisma.job.updateManyAndReturn({
        where: { id: job.id, queueJobId: job.queueJobId, status: "RUNNING" },
        data: { progress, progressMessage: message, heartbeatAt: new Date() },
        select: { cancelRequestedAt: true },
      });
      if (rows.length === 0) throw new JobClaimLostError(job.id);
      if (rows[0]!.cancelRequestedAt) cancelSeen = true;
      ensureRunnable();
    },
    async finishedItems() {
      const rows = await prisma.jobItem.findMany({
        where: { jobId: job.id, status: { in: ["DONE", "SKIPPED"] } },
        select: { key: true, status: true, message: true, result: true },
      });
      return new Map(
        rows.map((r) => [
          r.key,
          { status: r.status as ItemOutcome["status"], message: r.message, result: (r.result ?? null) as ItemOutcome["result"] },
        ]),
      );
    },
    async recordItem(key, outcome) {
      const data = {
        status: outcome.status,
        message: outcome.message ?? null,
        result: (outcome.result ?? undefined) as never,
      };
      await prisma.jobItem.upsert({
        where: { jobId_key: { jobId: job.id, key } },
        create: { jobId: job.id, key, ...data },
        update: data,
      });
    },
    async itemCounts() {
      const groups = await prisma.jobItem.groupBy({ by: ["status"], where: { jobId: job.id, NOT: { key: { startsWith: "~" } } }, _count: { _all: true } });
      const counts: Record<JobItemStatus, number> = { PENDING: 0, DONE: 0, SKIPPED: 0, FAILED: 0 };
      for (const g of groups) counts[g.status] = g._count._all;
      return counts;
    },
  };
}
