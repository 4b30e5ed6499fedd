// The database handle as @data-engine/db returns it, named once for the rest of the worker.
import type { openDatabase } from "@data-engine/db";

export type Database = Awaited<ReturnType<typeof openDatabase>>;
export type Prisma = Database["prisma"];
