// TEMPORARY: stands in for @data-engine/db/testing.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type Database } from "./index.ts";

export async function createTestDatabase(): Promise<Database> {
  if (process.env.TEST_DATABASE === "postgres") {
    const base = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@localhost:5432/postgres";
    const name = `test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    const db = await openDatabase({ databaseUrl: url.toString() });
    return {
      ...db,
      close: async () => {
        await db.close();
        const a = new pg.Client({ connectionString: base });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      },
    };
  }
  return openDatabase({ dataDir: "memory://" });
}
