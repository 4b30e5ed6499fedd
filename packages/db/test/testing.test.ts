import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase, defaultTestPostgresUrl, testDatabaseKind } from "../src/testing.ts";

describe("createTestDatabase", () => {
  it("gives each caller its own, migrated database", async () => {
    const [a, b] = [await createTestDatabase(), await createTestDatabase()];
    try {
      expect(a.kind).toBe(testDatabaseKind());
      await a.prisma.user.create({ data: { email: "only-in-a@example.test" } });
      expect(await a.prisma.user.count()).toBe(1);
      expect(await b.prisma.user.count()).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it.runIf(testDatabaseKind() === "postgres")(
    "creates de_test_<random> on the server and drops it on close",
    async () => {
      const db = await createTestDatabase();
      const name = new URL(db.databaseUrl as string).pathname.slice(1);
      expect(name).toMatch(/^de_test_[0-9a-f]{12}$/);
      const admin = new pg.Client({
        connectionString: process.env.TEST_POSTGRES_URL || defaultTestPostgresUrl,
      });
      await admin.connect();
      try {
        const exists = async () =>
          (await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;
        expect(await exists()).toBe(true);
        await db.close();
        expect(await exists()).toBe(false);
      } finally {
        await admin.end();
      }
    },
  );

  it("refuses an unknown TEST_DATABASE value", () => {
    const saved = process.env.TEST_DATABASE;
    process.env.TEST_DATABASE = "mysql";
    try {
      expect(() => testDatabaseKind()).toThrow('TEST_DATABASE must be "postgres" or unset (got "mysql")');
    } finally {
      if (saved === undefined) delete process.env.TEST_DATABASE;
      else process.env.TEST_DATABASE = saved;
    }
  });
});
