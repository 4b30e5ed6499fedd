// Shared by CLI commands: the services, output, and helpers to resolve names and follow jobs.
import type { Job } from "@data-engine/db";
import type { Services } from "../services.ts";
import { startWorkers, type Workers } from "../queue/workers.ts";
import { CliError, EXIT } from "./errors.ts";
import type { Output } from "./output.ts";

export interface CliContext {
  services: Services;
  out: Output;
  /** Work on queued jobs in this process while following them (always on with PGlite). */
  runHere: boolean;
}

export async function resolveProject(services: Services, ref: string | undefined): Promise<{ id: string; name: string; slug: string }> {
  if (!ref) throw new CliError("--project is required (a project slug or id)");
  const project = await services.prisma.project.findFirst({
    where: { OR: [{ id: ref }, { slug: ref }] },
    select: { id: true, name: true, slug: true },
  });
  if (!project) throw new CliError(`No project "${ref}" (give its slug or id; see \`data-engine project list\`)`, EXIT.NOT_FOUND);
  return project;
}

export async function resolveUserId(services: Services, ref: string | undefined): Promise<string | null> {
  if (!ref) return null;
  const user = await services.prisma.user.findFirst({ where: { OR: [{ id: ref }, { email: ref }] }, select: { id: true } });
  if (!user) throw new CliError(`No user "${ref}"`, EXIT.NOT_FOUND);
  return user.id;
}

const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "DEAD"]);

/** Follows a job (and the embed job an ingest queues) until it ends; returns the final rows. */
export async function followJobs(cli: CliContext, jobId: string): Promise<Job[]> {
  const { services, out } = cli;
  let workers: Workers | undefined;
  if (cli.runHere || services.db.kind === "pglite") {
    workers = await startWorkers(services, { log: () => undefined, reconcileIntervalMs: 0, pollingIntervalSeconds: 0.5 });
  }
  const finals: Job[] = [];
  let interrupted = false;
  const onSigint = () => (interrupted = true);
  process.on("SIGINT", onSigint);
  try {
    let next: string | null = jobId;
    while (next) {
      const id: string = next;
      next = null;
      for (;;) {
        const row = await services.prisma.job.findUnique({ where: { id } });
        if (!row) throw new CliError(`No job "${id}"`, EXIT.NOT_FOUND);
        out.progress(row);
        if (FINAL.has(row.status)) {
          out.endProgress();
          finals.push(row);
          const result = row.result as { embedJobId?: string | null } | null;
          if (row.status === "SUCCEEDED" && result?.embedJobId) {
            out.info(`${row.type.toLowerCase()} job ${row.id} queued embed job ${result.embedJobId}; following it`);
            next = result.embedJobId;
          }
          break;
        }
        if (interrupted) {
          out.endProgress();
          throw new CliError(
            `stopped following job ${id} (it ${workers ? "goes back to the queue" : "keeps running"}; \`data-engine jobs follow ${id}\` to resume)`,
            EXIT.INTERRUPTED,
          );
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  } finally {
    process.off("SIGINT", onSigint);
    await workers?.stop();
  }
  return finals;
}

export function exitCodeFor(jobs: Job[]): number {
  if (jobs.some((j) => j.status === "FAILED" || j.status === "DEAD")) return EXIT.FAILED;
  if (jobs.some((j) => j.status === "CANCELLED")) return EXIT.CANCELLED;
  return EXIT.OK;
}

export function describeJob(job: Job): string {
  const lines = [
    `job ${job.id}  ${job.type}  ${job.status}  ${job.progress}%  ${job.progressMessage ?? ""}`.trimEnd(),
  ];
  if (job.error) lines.push(`error: ${job.error}`);
  if (job.result) lines.push(`result: ${JSON.stringify(job.result)}`);
  return lines.join("\n");
}
