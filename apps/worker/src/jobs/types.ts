// What a job type provides: its queue, its parameter schema, and the handler that runs it.
import type { z } from "zod";
import type { JobType } from "@data-engine/db";
import type { Services } from "../services.ts";
import type { JobContext } from "../queue/context.ts";

export type JsonObject = { [key: string]: unknown };

export interface JobDefinition<P = unknown> {
  type: JobType;
  /** Validates and normalises parameters before the job is queued (and again when it runs). */
  params: z.ZodType<P>;
  /** Whether the job belongs to a project (projectId required). */
  projectScoped: boolean;
  /** Checks that need the database or the file system (the project's model exists, a folder exists). */
  preflight?(services: Services, params: P, projectId: string | null): Promise<void>;
  run(ctx: JobContext<P>): Promise<JsonObject>;
}
