// What a CLI command is, and the small helpers every command file shares (flag values, enqueue + follow).
import type { ParseArgsConfig } from "node:util";
import type { Job } from "@data-engine/db";
import { CliError, EXIT } from "./errors.ts";
import { describeJob, exitCodeFor, followJobs, type CliContext } from "./context.ts";

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  /** False for commands that never touch the database (they get no services). */
  needsServices?: boolean;
  run(cli: CliContext, values: Values, positionals: string[]): Promise<number>;
}

export const str = (v: Values[string]): string | undefined => (typeof v === "string" ? v : undefined);
export const list = (v: Values[string]): string[] | undefined =>
  typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : undefined;

/** A numeric flag, or undefined when absent; a clear usage error when it is not a number. */
export function num(values: Values, flag: string): number | undefined {
  const raw = str(values[flag]);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n)) throw new CliError(`--${flag} must be a number, got "${raw}"`);
  return n;
}

export const wait = { "no-wait": { type: "boolean" as const } };

/** Queues nothing itself: reports the queued job, then follows it to the end unless --no-wait. */
export async function enqueueAndMaybeFollow(cli: CliContext, values: Values, job: Job): Promise<number> {
  if (values["no-wait"]) {
    cli.out.result(job, () => `queued ${job.type.toLowerCase()} job ${job.id}`);
    return EXIT.OK;
  }
  cli.out.info(`queued ${job.type.toLowerCase()} job ${job.id}`);
  const finals = await followJobs(cli, job.id);
  cli.out.result(finals.length === 1 ? finals[0] : finals, () => finals.map(describeJob).join("\n"));
  return exitCodeFor(finals);
}

/** Mask filter flags shared by export and retrain (status, stages, labels, model, date range). */
export const filterOptions = {
  status: { type: "string" as const },
  stages: { type: "string" as const },
  labels: { type: "string" as const },
  model: { type: "string" as const },
  from: { type: "string" as const },
  to: { type: "string" as const },
};
export const FILTER_USAGE = "[--status ACCEPTED,...] [--stages 1,2,3] [--labels dog,cat] [--model <id>] [--from <ISO date>] [--to <ISO date>]";

export function filterFromFlags(values: Values): Record<string, unknown> {
  const isoDate = (v: string | undefined) => (v ? (/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v) : undefined);
  const filter: Record<string, unknown> = {};
  if (list(values.status)) filter.statuses = list(values.status)!.map((s) => s.toUpperCase());
  if (list(values.stages)) filter.stages = list(values.stages)!.map(Number);
  if (list(values.labels)) filter.labels = list(values.labels);
  if (str(values.model)) filter.modelVersionId = str(values.model);
  if (str(values.from)) filter.createdFrom = isoDate(str(values.from));
  if (str(values.to)) filter.createdTo = isoDate(str(values.to));
  return filter;
}
