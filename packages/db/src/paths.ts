// Where the repository-level Prisma files live, resolved from this file so that the package works from
// any working directory. Overridable for bundled deployments where source paths do not survive.
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export const defaultSchemaPath = `${repoRoot}prisma/schema.prisma`;

export function defaultMigrationsDir(): string {
  return process.env.PRISMA_MIGRATIONS_DIR ?? `${repoRoot}prisma/migrations`;
}
