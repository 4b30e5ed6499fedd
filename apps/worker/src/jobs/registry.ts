// Every job type this worker runs, by JobType.
import type { JobType } from "@data-engine/db";
import type { JobDefinition } from "./types.ts";
import { ingestParams, type IngestParams } from "./ingest/params.ts";
import { runIngest } from "./ingest/handler.ts";
import { embedParams, type EmbedParams } from "./embed/params.ts";
import { resolveModelVersionId, runEmbed } from "./embed/handler.ts";
import { exportParams, type ExportParams } from "./export/params.ts";
import { runExport } from "./export/handler.ts";
import { generateParams, type GenerateParams } from "./generate/params.ts";
import { runGenerate } from "./generate/handler.ts";
import { preflightGeneration } from "./generate/plan.ts";
import { retrainParams, type RetrainParams } from "./retrain/params.ts";
import { resolveBaseModel, runRetrain } from "./retrain/handler.ts";
import { existingTrainingSnapshot } from "./retrain/snapshot.ts";
import { JobParamsError, PermanentJobError } from "../errors.ts";
import { stat } from "node:fs/promises";

/** A check the handler also makes (and fails permanently on), reported before queueing as a parameter error. */
async function asParamsError(check: () => Promise<unknown>): Promise<void> {
  try {
    await check();
  } catch (error) {
    if (error instanceof PermanentJobError) throw new JobParamsError(error.message);
    throw error;
  }
}

const ingest: JobDefinition<IngestParams> = {
  type: "INGEST",
  params: ingestParams,
  projectScoped: true,
  async preflight(_services, params) {
    if (params.source.kind === "folder") {
      const info = await stat(params.source.path).catch(() => null);
      if (!info?.isDirectory()) throw new JobParamsError(`source.path: folder "${params.source.path}" does not exist or is not a directory`);
    }
  },
  run: runIngest,
};

const embed: JobDefinition<EmbedParams> = {
  type: "EMBED",
  params: embedParams,
  projectScoped: true,
  preflight: (services, params, projectId) => asParamsError(() => resolveModelVersionId(services, projectId!, params.modelVersionId)),
  run: runEmbed,
};

const exportJob: JobDefinition<ExportParams> = {
  type: "EXPORT",
  params: exportParams,
  projectScoped: true,
  run: runExport,
};

const generate: JobDefinition<GenerateParams> = {
  type: "GENERATE",
  params: generateParams,
  projectScoped: true,
  preflight: (services, params, projectId) => preflightGeneration(services, projectId!, params),
  run: runGenerate,
};

const retrain: JobDefinition<RetrainParams> = {
  type: "RETRAIN",
  params: retrainParams,
  projectScoped: true,
  preflight: (services, params, projectId) =>
    asParamsError(async () => {
      await resolveBaseModel(services, projectId!, params.baseModelVersionId);
      if (params.datasetVersionId) await existingTrainingSnapshot(services, projectId!, params.datasetVersionId);
    }),
  run: runRetrain,
};

const DEFINITIONS: Partial<Record<JobType, JobDefinition<never>>> = {
  INGEST: ingest as JobDefinition<never>,
  EMBED: embed as JobDefinition<never>,
  EXPORT: exportJob as JobDefinition<never>,
  GENERATE: generate as JobDefinition<never>,
  RETRAIN: retrain as JobDefinition<never>,
};

export const SUPPORTED_JOB_TYPES = Object.keys(DEFINITIONS) as JobType[];

export function getJobDefinition(type: JobType): JobDefinition<unknown> {
  const def = DEFINITIONS[type];
  if (!def) {
    throw new JobParamsError(`Job type "${String(type)}" is not supported by this worker (supported: ${SUPPORTED_JOB_TYPES.join(", ")})`);
  }
  return def as unknown as JobDefinition<unknown>;
}
