// Image import in a real browser: an administrator uploads two photos and a text file into a new project
// (the text file is refused at upload with the reason), the worker's ingest job imports the photos while
// the page follows it, then a server-folder import of the demo samples reports the two photos as
// duplicates. Screenshots: test-results/screenshots/import-*.png.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ADMIN, openBrowser, screenshot, signIn, startTestServer, type TestServer } from "./harness.ts";

const SAMPLES = new URL("../../../worker/seed/samples/", import.meta.url);

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  if (!server) return;
  const code = await server.stop();
  expect(code, server.output()).toBe(0);
});

it("uploads two photos and a non-image: 2 imported, 1 rejected with the reason; then a folder import finds the duplicates", { timeout: 240_000 }, async () => {
  const { page, close } = await openBrowser();
  try {
    await signIn(page, server.url, ADMIN.email, ADMIN.password);
    await page.getByLabel("Name").fill(`Import test ${Date.now()}`);
    await page.getByRole("button", { name: "Create project" }).click();
    await page.waitForURL(/\/projects\/[^/]+$/);
    const projectId = page.url().split("/").pop()!;
    // The empty project points its administrator to the import page.
    expect(await page.getByRole("link", { name: "import some" }).getAttribute("href")).toBe(`/projects/${projectId}/images`);

    await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Images" }).click();
    await page.waitForURL(`${server.url}/projects/${projectId}/images`);
    await page.getByLabel("Image files").setInputFiles([
      { name: "dog.jpg", mimeType: "image/jpeg", buffer: await readFile(new URL("dog.jpg", SAMPLES)) },
      { name: "coffee.png", mimeType: "image/png", buffer: await readFile(new URL("coffee.png", SAMPLES)) },
      { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("shopping list: eggs, coffee\n") },
    ]);
    await page.getByRole("button", { name: "Upload and import 3 files" }).click();

    const report = page.getByTestId("import-report");
    await expect.poll(() => report.getAttribute("data-status").catch(() => null), { timeout: 120_000, interval: 500 }).toBe("SUCCEEDED");
    await expect.poll(() => page.getByTestId("import-summary").textContent()).toBe("2 imported · 0 duplicates · 1 rejected");

    // Per-file upload state: the photos reached 100 %, the text file was refused by the server.
    const uploads = page.getByTestId("upload-file");
    expect(await uploads.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")))).toEqual(["uploaded", "uploaded", "refused"]);
    expect(await page.getByRole("progressbar", { name: "Total upload progress" }).getAttribute("aria-valuenow")).toBe("100");

    const outcomes = await page.getByTestId("import-file").evaluateAll((rows) =>
      rows.map((r) => [r.querySelector("td")!.textContent, r.getAttribute("data-outcome")]).sort(),
    );
    expect(outcomes).toEqual([["coffee.png", "imported"], ["dog.jpg", "imported"], ["notes.txt", "rejected"]]);
    const rejected = await page.locator('[data-testid="import-file"][data-outcome="rejected"]').textContent();
    expect(rejected).toContain("notes.txt is text, not an image");
    await screenshot(page, "import-upload");

    // A folder on the server: the demo samples, two of which are already in the project.
    await page.getByLabel("Folder path").fill(decodeURIComponent(SAMPLES.pathname));
    await page.getByTestId("import-from-server").getByRole("button", { name: "Import" }).click();
    await expect.poll(() => report.textContent(), { timeout: 120_000, interval: 500 }).toContain("Import from folder");
    await expect.poll(() => report.getAttribute("data-status"), { timeout: 120_000, interval: 500 }).toBe("SUCCEEDED");
    // Five new photos, dog.jpg and coffee.png found again, SOURCES.md not an image.
    await expect.poll(() => page.getByTestId("import-summary").textContent()).toBe("5 imported · 2 duplicates · 1 rejected");
    const duplicates = await page.locator('[data-testid="import-file"][data-outcome="duplicate"]').allTextContents();
    expect(duplicates.map((d) => d.split("duplicate")[0]).sort()).toEqual(["coffee.png", "dog.jpg"]);
    const recent = page.getByTestId("recent-imports");
    expect(await recent.locator("tbody tr").count()).toBe(2);
    // The list catches up with the finished imports without a reload.
    await expect.poll(() => recent.locator("tbody .badge").allTextContents(), { timeout: 5_000 }).toEqual(["succeeded", "succeeded"]);
    await screenshot(page, "import-folder");

    // The project now has the seven photos.
    await page.goto(`${server.url}/projects/${projectId}`);
    await page.getByTestId("image-grid").waitFor();
    expect(await page.getByTestId("image-grid").locator("img").count()).toBe(7);
  } finally {
    await close();
  }
});
