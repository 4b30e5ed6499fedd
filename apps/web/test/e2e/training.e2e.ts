// Retraining in a real browser: the admin opens the project's Training tab, sees the active model, starts
// a round, and the embedded worker's verdict comes back on the page. The seeded demo has no accepted masks
// yet, so the round must stop with its reason in words and leave the active model as it was; a reviewer
// has no Training tab and the page refuses them. Screenshot: test-results/screenshots/training.png.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, REVIEWER, openBrowser, screenshot, signIn, startTestServer, type TestServer } from "./harness.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  if (server) expect(await server.stop(), server.output()).toBe(0);
});

describe("the Training tab", () => {
  it("starts a round as admin and shows why it cannot run on a dataset without accepted masks", async () => {
    const { page, close } = await openBrowser();
    try {
      await signIn(page, server.url, ADMIN.email, ADMIN.password);
      await page.getByRole("link", { name: /Demo/ }).first().click();
      await page.waitForURL(/\/projects\/[^/]+$/);
      await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Training" }).click();
      await page.waitForURL(/\/training$/);
      const active = page.getByTestId("active-model");
      await expect.poll(() => active.textContent()).toMatch(/Active model: .*starter/i);
      const before = await active.textContent();

      await page.getByLabel("Steps").fill("5");
      await page.getByTestId("start-round-submit").click();
      await expect.poll(() => page.getByRole("status").first().textContent(), { timeout: 10_000 }).toMatch(/Round queued/);
      const row = page.getByTestId("round-row").first();
      await expect.poll(() => row.getAttribute("data-status"), { timeout: 60_000, interval: 500 }).toBe("FAILED");
      await expect(row.textContent()).resolves.toMatch(/0 training mask\(s\) on 0 image\(s\); a round needs at least 8/);
      expect(await active.textContent()).toBe(before);
      await screenshot(page, "training");
    } finally {
      await close();
    }
  });

  it("is not offered to a reviewer, and the page refuses them", async () => {
    const { page, close } = await openBrowser();
    try {
      await signIn(page, server.url, REVIEWER.email, REVIEWER.password);
      await page.getByRole("link", { name: /Demo/ }).first().click();
      await page.waitForURL(/\/projects\/[^/]+$/);
      expect(await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Training" }).count()).toBe(0);
      const res = await page.goto(`${page.url()}/training`);
      expect(res?.status()).toBe(403);
    } finally {
      await close();
    }
  });
});
