// npm run db:migrate:create -- <name> [--empty]
// Creates prisma/migrations/<timestamp>_<name>/migration.sql from the changes in prisma/schema.prisma.
import { createMigration } from "../src/create-migration.ts";

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const empty = args.includes("--empty");
  const names = args.filter((arg) => !arg.startsWith("--"));
  if (names.length !== 1) {
    console.error(
      "Usage: npm run db:migrate:create -- <name> [--empty]   (name: lowercase letters, digits, _)",
    );
    return 2;
  }
  const started = Date.now();
  const result = await createMigration({ name: names[0] as string, empty });
  if (result.path === null) {
    console.log(
      "The schema matches the migrations: no migration created (use --empty for a hand-written one).",
    );
  } else {
    console.log(`Created ${result.path} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    process.exit(1);
  },
);
