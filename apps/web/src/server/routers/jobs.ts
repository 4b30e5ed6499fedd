import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../audit.ts";
import { JOB_STATUSES, JOB_TYPES } from "../domain.ts";
import { adminProcedure, authedProcedure, router } from "../trpc/init.ts";
import { callWorker } from "../trpc/worker-errors.ts";
import type { SessionUser } from "../trpc/context.ts";
import type { PrismaClient } from "@data-engine/db";

/** Admins see every job; others see the jobs of projects they belong to and the ones they started. */
function visibleJobs(user: SessionUser) {
  if (user.role === "ADMIN") return {};
  return { OR: [{ project: { members: { some: { userId: user.id } } } }, { createdById: user.id }] };
}

async function loadJob(prisma: PrismaClient, jobId: string) {
  const job = await prisma.job.findUnique({ where: { id: jobId } });
  if (!job) throw new TRPCError({ code: "NOT_FOUND", message: `Job ${jobId} does not exist` });
  return job;
}

export const jobsRouter = router({
  list: authedProcedure
    .input(z.object({
      projectId: z.string().min(1).optional(),
      statuses: z.array(z.enum(JOB_STATUSES)).optional(),
      type: z.enum(JOB_TYPES).optional(),
      limit: z.number().int().min(1).max(200).default(50),
    }).default({ limit: 50 }))
    .query(({ ctx, input }) =>
      ctx.prisma.job.findMany({
        where: {
          AND: [
            visibleJobs(ctx.user),
            input.projectId ? { projectId: input.projectId } : {},
            input.statuses ? { status: { in: input.statuses } } : {},
            input.type ? { type: input.type } : {},
          ],
        },
        orderBy: { createdAt: "desc" },
        take: input.limit,
        include: { project: { select: { id: true, name: true } }, createdBy: { select: { id: true, email: true } } },
      }),
    ),

  get: authedProcedure.input(z.object({ jobId: z.string().min(1) })).query(async ({ ctx, input }) => {
    const job = await ctx.prisma.job.findFirst({ where: { AND: [{ id: input.jobId }, visibleJobs(ctx.user)] } });
    if (!job) {
      // Tell apart "no such job" from "not yours" without exposing the job itself.
      await loadJob(ctx.prisma, input.jobId);
      throw new TRPCError({ code: "FORBIDDEN", message: "This job belongs to a project you are not a member of" });
    }
    const items = await ctx.prisma.jobItem.groupBy({ by: ["status"], where: { jobId: job.id }, _count: { _all: true } });
    return { ...job, itemCounts: Object.fromEntries(items.map((i) => [i.status, i._count._all])) };
  }),

  cancel: adminProcedure.input(z.object({ jobId: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    const job = await loadJob(ctx.prisma, input.jobId);
    if (!["QUEUED", "RUNNING"].includes(job.status)) {
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: `Job ${job.id} is ${job.status}; only queued or running jobs can be cancelled` });
    }
    await callWorker(() => ctx.runtime.jobs.cancel(job.id));
    await recordAudit(ctx.prisma, { actorId: ctx.user.id, projectId: job.projectId, action: "job.cancel", entityType: "Job", entityId: job.id });
    return loadJob(ctx.prisma, job.id);
  }),

  retry: adminProcedure.input(z.object({ jobId: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    const job = await loadJob(ctx.prisma, input.jobId);
    if (!["FAILED", "DEAD", "CANCELLED"].includes(job.status)) {
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: `Job ${job.id} is ${job.status}; only failed, dead or cancelled jobs can be retried` });
    }
    await callWorker(() => ctx.runtime.jobs.retry(job.id));
    await recordAudit(ctx.prisma, { actorId: ctx.user.id, projectId: job.projectId, action: "job.retry", entityType: "Job", entityId: job.id });
    return loadJob(ctx.prisma, job.id);
  }),
});
