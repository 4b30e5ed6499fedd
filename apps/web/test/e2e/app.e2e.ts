// The app in a real browser: each role signs in and sees its pages; what a role may not do is refused
// by the server, not only hidden; screenshots of the main screens go to test-results/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, ANNOTATOR, REVIEWER, openBrowser, screenshot, signIn, startTestServer, type TestServer } from "./harness.ts";

let server: TestServer;
let projectId: string;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  if (!server) return;
  const code = await server.stop();
  // Graceful SIGTERM: the process closes everything and exits 0.
  expect(code, server.output()).toBe(0);
});

describe("as an administrator", () => {
  it("sees every admin page, the demo project with its ingested images, and its settings", async () => {
    const { page, close } = await openBrowser();
    try {
      await signIn(page, server.url, ADMIN.email, ADMIN.password);
      await expect(page.getByTestId("whoami").textContent()).resolves.toContain("admin@demo.local");
      for (const link of ["Users", "Jobs", "Models", "Audit"]) {
        expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link }).count()).toBe(1);
      }
      await page.getByRole("link", { name: /Demo/ }).first().click();
      await page.waitForURL(/\/projects\/[^/]+$/);
      projectId = page.url().split("/").pop()!;

      // The seed's ingest job runs in the embedded worker; the grid fills as it finishes.
      const deadline = Date.now() + 90_000;
      while ((await page.getByTestId("image-grid").count()) === 0 && Date.now() < deadline) {
        await page.waitForTimeout(1_500);
        await page.reload();
      }
      const tiles = page.getByTestId("image-grid").locator("img");
      expect(await tiles.count()).toBeGreaterThan(0);
      // Thumbnails come through the signed file route, as images, and decode in the page.
      const fetched = await tiles.evaluateAll(async (imgs) =>
        Promise.all(imgs.map(async (i) => {
          const res = await fetch((i as HTMLImageElement).src);
          return `${res.status} ${res.headers.get("content-type")}`;
        })),
      );
      expect(fetched.every((f) => /^200 image\//.test(f)), fetched.join(", ")).toBe(true);
      for (const tile of await tiles.all()) {
        await tile.scrollIntoViewIfNeeded();
        await expect.poll(() => tile.evaluate((i) => (i as HTMLImageElement).naturalWidth), { timeout: 10_000 }).toBeGreaterThan(0);
      }
      await page.evaluate(() => window.scrollTo(0, 0));
      await screenshot(page, "project-overview");

      await page.goto(`${server.url}/projects/${projectId}/settings`);
      expect(await page.getByRole("heading", { name: "Label classes" }).count()).toBe(1);
      expect(await page.getByTestId("members").count()).toBe(1);
      await screenshot(page, "project-settings");

      await page.goto(`${server.url}/admin/users`);
      const usersText = await page.getByTestId("users").textContent();
      for (const u of [ADMIN, REVIEWER, ANNOTATOR]) expect(usersText).toContain(u.email);
      await screenshot(page, "admin-users");

      await page.goto(`${server.url}/admin/jobs`);
      await page.getByTestId("jobs").waitFor();
      expect(await page.getByTestId("jobs").textContent()).toContain("ingest");
      await screenshot(page, "admin-jobs");

      await page.goto(`${server.url}/admin/models`);
      await screenshot(page, "admin-models");

      await page.goto(`${server.url}/projects`);
      await screenshot(page, "projects");
    } finally {
      await close();
    }
  });
});

describe("as a reviewer", () => {
  it("sees the project and its review queue, and gets 403 on admin pages", async () => {
    const { page, close } = await openBrowser();
    try {
      await signIn(page, server.url, REVIEWER.email, REVIEWER.password);
      expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).count()).toBe(0);
      await page.goto(`${server.url}/projects/${projectId}/review`);
      await page.getByTestId("review-count").waitFor();
      await screenshot(page, "review");
      const response = await page.goto(`${server.url}/admin/users`);
      expect(response?.status()).toBe(403);
      expect(await page.getByRole("heading", { name: "Not allowed" }).count()).toBe(1);
    } finally {
      await close();
    }
  });
});

describe("as an annotator", () => {
  it("opens an image but not the review queue, and the server refuses an admin action", async () => {
    const { page, close } = await openBrowser();
    try {
      await signIn(page, server.url, ANNOTATOR.email, ANNOTATOR.password);
      await page.goto(`${server.url}/projects/${projectId}`);
      const tabs = page.getByRole("navigation", { name: "Project" });
      expect(await tabs.getByRole("link", { name: "Review" }).count()).toBe(0);
      expect(await tabs.getByRole("link", { name: "Settings" }).count()).toBe(0);
      await page.getByTestId("image-grid").locator("a").first().click();
      await page.waitForURL(/\/annotate\//);
      await page.getByTestId("mask-count").waitFor();
      await screenshot(page, "annotate");

      expect((await page.goto(`${server.url}/projects/${projectId}/review`))?.status()).toBe(403);
      await page.goto(`${server.url}/projects`);
      // Straight to the API with the annotator's session cookie: the server says no.
      const result = await page.evaluate(async () => {
        const res = await fetch("/api/trpc/users.create", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ json: { email: "intruder@demo.local", password: "long-enough-password", role: "ADMIN" } }),
        });
        return { status: res.status, body: await res.json() };
      });
      expect(result.status).toBe(403);
      expect(result.body.error.json.data.code).toBe("FORBIDDEN");
    } finally {
      await close();
    }
  });
});

describe("signed out", () => {
  it("is sent to sign in, sees a clear error for a wrong password, and gets 401 from the API", async () => {
    const { page, close } = await openBrowser();
    try {
      await page.goto(`${server.url}/projects`);
      await page.waitForURL(/\/signin\?callbackUrl=%2Fprojects/);
      await page.getByLabel("Email").fill(ADMIN.email);
      await page.getByLabel("Password").fill("not the password");
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      // (Next's route announcer is also role="alert", so look for the message itself.)
      await page.getByRole("alert").filter({ hasText: "Wrong email or password" }).waitFor();
      await screenshot(page, "signin");
      const status = await page.evaluate(async () => (await fetch("/api/trpc/users.list")).status);
      expect(status).toBe(401);
      const health = await page.evaluate(async () => (await fetch("/api/trpc/health.check")).status);
      expect(health).toBe(200);
    } finally {
      await close();
    }
  });

  it("is cross-origin isolated, serves onnxruntime-web's wasm, and refuses unsigned file URLs", async () => {
    const { page, close } = await openBrowser();
    try {
      const response = await page.goto(`${server.url}/signin`);
      const headers = response!.headers();
      expect(headers["cross-origin-opener-policy"]).toBe("same-origin");
      expect(headers["cross-origin-embedder-policy"]).toBe("require-corp");
      expect(headers["cross-origin-resource-policy"]).toBe("same-origin");
      expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
      const wasm = await page.evaluate(async () => {
        const res = await fetch("/ort/ort-wasm-simd-threaded.wasm");
        const bytes = new Uint8Array(await res.arrayBuffer());
        return { status: res.status, type: res.headers.get("content-type"), magic: [...bytes.slice(0, 4)], coep: res.headers.get("cross-origin-embedder-policy") };
      });
      expect(wasm).toEqual({ status: 200, type: "application/wasm", magic: [0, 0x61, 0x73, 0x6d], coep: "require-corp" });
      expect(await page.evaluate(async () => (await fetch("/ort/package.json")).status)).toBe(404);
      const files = await page.evaluate(async (id) => {
        const plain = await fetch(`/api/files/projects/${id}/anything.png`);
        const forged = await fetch(`/api/files/projects/${id}/anything.png?token=9999999999.${"A".repeat(43)}`);
        return [plain.status, forged.status];
      }, projectId);
      expect(files).toEqual([401, 403]);
    } finally {
      await close();
    }
  });
});
