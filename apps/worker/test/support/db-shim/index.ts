// TEMPORARY: stands in for @data-engine/db's index.ts until that package publishes one.
export * from "../../../../../packages/db/src/client.ts";
export * from "../../../../../packages/db/src/singleton.ts";
export * from "../../../../../packages/db/src/passwords.ts";
export * from "../../../../../packages/db/src/generated/prisma/client.ts";
