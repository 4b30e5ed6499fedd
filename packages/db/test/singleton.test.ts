import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { closeDatabase, getDatabase, resolvePGliteDir } from "../src/index.ts";
import type * as SingletonModule from "../src/singleton.ts";

const saved = { DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR };

beforeAll(() => {
  delete process.env.DATABASE_URL;
  process.env.DATA_DIR = "memory://";
});

afterAll(async () => {
  await closeDatabase();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe("getDatabase", () => {
  it("derives the PGlite directory from DATA_DIR", () => {
    expect(resolvePGliteDir(undefined)).toBe("memory://");
    expect(resolvePGliteDir("/srv/engine")).toBe("/srv/engine/pglite");
    process.env.DATA_DIR = "";
    expect(resolvePGliteDir(undefined)).toBe(".data/pglite");
    process.env.DATA_DIR = "memory://";
  });

  it("opens one database for concurrent first callers and for other copies of the module", async () => {
    const [a, b] = await Promise.all([getDatabase(), getDatabase()]);
    expect(a).toBe(b);
    expect(a.kind).toBe("pglite");
    // A bundler may load the module again (Next.js route handlers): the instance must still be shared.
    vi.resetModules();
    const specifier = "../src/singleton.ts?copy";
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof SingletonModule;
    expect(copy.getDatabase).not.toBe(getDatabase);
    expect(await copy.getDatabase()).toBe(a);
    await a.prisma.user.create({ data: { email: "one@example.test" } });
    expect(await (await copy.getDatabase()).prisma.user.count()).toBe(1);
  });

  it("opens a new database after close", async () => {
    const first = await getDatabase();
    await first.close();
    const second = await getDatabase();
    expect(second).not.toBe(first);
    expect(await second.prisma.user.count()).toBe(0);
  });
});
