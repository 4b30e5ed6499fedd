// Puts a job on the queue: validates its parameters with the job type's schema, then creates the Job row
// users see and the pg-boss job in ONE transaction, so neither exists without the other.
import { randomUUID } from "node:crypto";
import { fromPrisma } from "pg-boss";
import type { JobType } from "@data-engine/db";
import type { Job as JobRow } from "@data-engine/db";
import type { Services } from "../services.ts";
import { JobParamsError } from "../errors.ts";
import { getJobDefinition } from "../jobs/registry.ts";
import { queueFor } from "./queues.ts";
import type { QueuePayload } from "./payload.ts";
import { formatZodError } from "./zod-format.ts";

export interface EnqueueRequest {
  type: JobType;
  projectId?: string | null;
  params: unknown;
  createdById?: string | null;
  /** Higher runs sooner. For EMBED, a positive priority uses the priority lane. */
  priority?: number;
}

export async function enqueueJob(services: Services, request: EnqueueRequest): Promise<JobRow> {
  const def = getJobDefinition(request.type);
  const projectId = request.projectId ?? null;
  if (def.projectScoped && !projectId) throw new JobParamsError(`A ${request.type} job needs a projectId`);
  const priority = request.priority ?? 0;
  if (!Number.isInteger(priority) || priority < -100 || priority > 100) {
    throw new JobParamsError(`priority must be an integer from -100 to 100, got ${String(request.priority)}`);
  }
  const parsed = def.params.safeParse(request.params ?? {});
  if (!parsed.success) {
    const issues = formatZodError(parsed.error);
    throw new JobParamsError(`Invalid ${request.type} job parameters: ${issues.join("; ")}`, issues);
  }
  if (projectId) {
    const project = await services.prisma.project.findUnique({ where: { id: projectId }, select: { id: true } });
    if (!project) throw new JobParamsError(`No project with id "${projectId}"`);
  }
  await def.preflight?.(services, parsed.data, projectId);

  const queueName = queueFor(request.type, priority);
  const queueJobId = randomUUID();
  return services.prisma.$transaction(async (tx) => {
    const row = await tx.job.create({
      data: {
        type: request.type,
        projectId,
        params: parsed.data as never,
        createdById: request.createdById ?? null,
        priority,
        queueName,
        queueJobId,
        status: "QUEUED",
      },
    });
    const payload: QueuePayload = { jobId: row.id };
    await services.queue.send(queueName, payload as object, { id: queueJobId, priority, db: fromPrisma(tx) });
    return row;
  });
}
