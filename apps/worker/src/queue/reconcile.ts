// Brings Job rows back in step with the queue where a worker died between the two: a row still RUNNING
// whose queue job is waiting for a retry goes QUEUED, one whose queue job failed for good goes DEAD.
import type { Services } from "../services.ts";

const STALE_MS = 20_000;

export async function reconcileJobs(services: Services, staleMs = STALE_MS): Promise<number> {
  const prisma = services.prisma;
  const cutoff = new Date(Date.now() - staleMs);
  const rows = await prisma.job.findMany({
    where: {
      status: { in: ["QUEUED", "RUNNING"] },
      OR: [{ heartbeatAt: { lt: cutoff } }, { heartbeatAt: null, createdAt: { lt: cutoff } }],
    },
    select: { id: true, status: true, queueName: true, queueJobId: true },
    take: 200,
  });
  let changed = 0;
  for (const row of rows) {
    if (!row.queueName || !row.queueJobId) continue;
    const [queued] = await services.queue.findJobs(row.queueName, { id: row.queueJobId });
    const where = { id: row.id, queueJobId: row.queueJobId, status: row.status };
    const now = new Date();
    let update: Record<string, unknown> | undefined;
    if (!queued) {
      update = { status: "FAILED", finishedAt: now, error: `its queue job ${row.queueJobId} no longer exists` };
    } else if (queued.state === "failed") {
      const output = queued.output as { message?: string } | null;
      update = { status: "DEAD", finishedAt: now, error: output?.message ?? "failed in the queue" };
    } else if (queued.state === "cancelled") {
      update = { status: "CANCELLED", finishedAt: now };
    } else if (queued.state === "completed") {
      update = { status: "FAILED", finishedAt: now, error: "the queue finished this job without the worker recording a result" };
    } else if ((queued.state === "retry" || queued.state === "created") && row.status === "RUNNING") {
      const output = queued.output as { message?: string } | null;
      update = { status: "QUEUED", progressMessage: `waiting to retry${output?.message ? `: ${output.message}` : ""}` };
    }
    if (update) {
      const res = await prisma.job.updateMany({ where, data: update });
      changed += res.count;
    }
  }
  return changed;
}
