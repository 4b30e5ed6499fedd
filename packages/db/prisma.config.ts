// Prisma CLI configuration. Paths are relative to this file; the schema and the migrations live at the
// repository root so that every package sees one contract.
//
// `datasource.url` is read from process.env directly: the `env()` helper throws when the variable is
// unset, and `prisma generate` must work without any database.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "../../prisma/schema.prisma",
  migrations: { path: "../../prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL },
});
