import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseConfigError, openDatabase } from "../src/index.ts";
import { startFakePostgres } from "./fake-postgres.ts";
import type { FakePostgres } from "./fake-postgres.ts";

const fakes: FakePostgres[] = [];
afterAll(async () => {
  await Promise.all(fakes.map((fake) => fake.close()));
});

async function failure(databaseUrl: string): Promise<DatabaseConfigError> {
  const error = await openDatabase({ databaseUrl }).then(
    () => new Error("openDatabase unexpectedly succeeded"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatabaseConfigError);
  const configError = error as DatabaseConfigError;
  expect(configError.setting).toBe("DATABASE_URL");
  expect(configError.message).not.toContain("\n");
  return configError;
}

/** A port on which nothing listens: bind one, note it, release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("DATABASE_URL errors", () => {
  it("names host and port when nothing listens there", async () => {
    const port = await closedPort();
    const error = await failure(`postgresql://postgres@127.0.0.1:${port}/app`);
    expect(error.message).toBe(
      `Cannot connect to PostgreSQL at 127.0.0.1:${port} (connection refused) — check DATABASE_URL`,
    );
  });

  it("rejects a malformed URL without echoing it", async () => {
    const error = await failure("postgresql://user:s3cret@host:notaport/db");
    expect(error.message).toMatch(/^DATABASE_URL is not a valid URL — expected postgresql:\/\//);
    expect(error.message).not.toContain("s3cret");
  });

  it("rejects a URL of another kind of database", async () => {
    const error = await failure("mysql://user@localhost:3306/app");
    expect(error.message).toMatch(/^DATABASE_URL must start with postgresql:\/\/ \(got mysql:\/\/\)/);
  });

  it("reports an authentication failure with the user, not the password", async () => {
    const fake = await startFakePostgres("28P01", 'password authentication failed for user "alice"');
    fakes.push(fake);
    const error = await failure(`postgresql://alice:hunter2@127.0.0.1:${fake.port}/app`);
    expect(error.message).toBe(
      `PostgreSQL at 127.0.0.1:${fake.port} rejected user "alice" (password authentication failed for user "alice") — check the user and password in DATABASE_URL`,
    );
    expect(error.message).not.toContain("hunter2");
  });

  it("reports a missing database with how to create it", async () => {
    const fake = await startFakePostgres("3D000", 'database "annotations" does not exist');
    fakes.push(fake);
    const error = await failure(`postgresql://alice@127.0.0.1:${fake.port}/annotations`);
    expect(error.message).toBe(
      `Database "annotations" does not exist on PostgreSQL at 127.0.0.1:${fake.port} — create it (createdb annotations) or fix the database name in DATABASE_URL`,
    );
  });
});

// The same failures from the real server, where the test run is given one.
describe.runIf(process.env.TEST_DATABASE === "postgres")("DATABASE_URL errors from a real PostgreSQL", () => {
  const server = new URL(process.env.TEST_POSTGRES_URL || "postgresql://postgres@127.0.0.1:5432/postgres");
  const address = `${server.hostname}:${server.port || 5432}`;

  it("reports a missing database", async () => {
    const url = new URL(server);
    url.pathname = "/de_no_such_database";
    const error = await failure(url.toString());
    expect(error.message).toMatch(
      new RegExp(`^Database "de_no_such_database" does not exist on PostgreSQL at ${address}`),
    );
  });

  it("reports a user the server does not know", async () => {
    const url = new URL(server);
    url.username = "de_no_such_role";
    url.password = "";
    const error = await failure(url.toString());
    expect(error.message).toMatch(
      new RegExp(`^PostgreSQL at ${address} rejected user "de_no_such_role" \\(`),
    );
  });
});
