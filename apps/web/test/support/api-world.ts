// The world most API test files start from: a fresh test runtime (in-memory database, local storage) and
// the fixture in it, created before the file's tests and closed after them.
//
//   import { fx, t, useApiWorld } from "./support/api-world.ts";
//   useApiWorld();
//
// `t` and `fx` are live ES module bindings: they are set by the beforeAll hook, so read them inside tests
// and hooks, not at the top level of the file. Each test file gets its own copy of this module.
import { afterAll, beforeAll } from "vitest";
import { createFixture, type Fixture } from "./fixture.ts";
import { createTestRuntime, type TestRuntime } from "./test-runtime.ts";

export let t: TestRuntime;
export let fx: Fixture;

/** Registers the hooks that create the runtime and fixture for this file's tests and close them after. */
export function useApiWorld(): void {
  beforeAll(async () => {
    t = await createTestRuntime();
    fx = await createFixture(t);
  });
  afterAll(async () => {
    await t?.close();
  });
}
