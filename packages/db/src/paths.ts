// Where the repository-level Prisma files live. Resolved from this file first, so that the package
// works from any working directory; when a bundler has moved this code (Next.js puts it under .next/),
// the nearest prisma/ folder above the working directory is used instead.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function fromThisFile(relative: string): string | undefined {
  try {
    return fileURLToPath(new URL(`../../../${relative}`, import.meta.url));
  } catch {
    return undefined; // import.meta.url is not a file: URL inside some bundles.
  }
}

function findUpwards(relative: string, marker: string): string | undefined {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, relative, marker))) return join(dir, relative);
    if (dirname(dir) === dir) return undefined;
  }
}

function locate(relative: string, marker: string): string {
  const here = fromThisFile(relative);
  if (here !== undefined && existsSync(join(here, marker))) return here;
  return findUpwards(relative, marker) ?? here ?? join(process.cwd(), relative);
}

export const defaultSchemaPath = join(locate("prisma", "schema.prisma"), "schema.prisma");

/** prisma/migrations of this repository, or PRISMA_MIGRATIONS_DIR when set. */
export function defaultMigrationsDir(): string {
  const fromEnv = process.env.PRISMA_MIGRATIONS_DIR?.trim();
  if (fromEnv) return fromEnv;
  return locate("prisma/migrations", "migration_lock.toml");
}

/** Resolves a dependency from this package, falling back to the working directory (bundled code). */
export function resolveDependency(specifier: string): string {
  try {
    return createRequire(import.meta.url).resolve(specifier);
  } catch {
    return createRequire(join(process.cwd(), "noop.js")).resolve(specifier);
  }
}
