// The annotator in a real browser on the seeded demo (a tiny random-weight SAM: masks are arbitrary
// shapes, so this checks the mechanics): a click draws a mask, Tab cycles the three candidates, a box
// works, saving stores the mask with its clicks and time, and a reload shows it.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { ANNOTATOR, openBrowser, screenshot, signIn, startTestServer, type TestServer } from "./harness.ts";

// Each test's steps wait at most 60 s; a loaded machine can make the whole test slower than that.

interface Stats {
  phase: string;
  readyAt: number | null;
  threads: number;
  crossOriginIsolated: boolean;
  clickToDrawn: number[];
  draftArea: number;
  candidates: number;
  candidateIndex: number;
  drawnCandidate: number | null;
  saved: number;
  hovers: number;
}

let server: TestServer;
let opened: { projectId: string; imageId: string } | undefined;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

const stats = (page: Page) => page.evaluate(() => (window as unknown as { __annotator: Stats }).__annotator);

async function openFirstImage(page: Page): Promise<{ projectId: string; imageId: string }> {
  await page.goto(`${server.url}/projects`);
  await page.getByRole("link", { name: /Demo/ }).first().click();
  await page.waitForURL(/\/projects\/[^/]+$/);
  const deadline = Date.now() + 90_000;
  while ((await page.getByTestId("image-grid").count()) === 0 && Date.now() < deadline) {
    await page.waitForTimeout(1_000);
    await page.reload();
  }
  await page.getByTestId("image-grid").locator("a").first().click();
  await page.waitForURL(/\/annotate\//);
  const [, projectId, imageId] = /\/projects\/([^/]+)\/annotate\/([^/?]+)/.exec(page.url())!;
  return { projectId: projectId!, imageId: imageId! };
}

async function canvasPoint(page: Page, fx: number, fy: number): Promise<[number, number]> {
  // A point of the image (fractions of its size) in page coordinates, through the annotator's view.
  const box = (await page.getByTestId("annotator-canvas").boundingBox())!;
  const size = await page.evaluate(() => {
    const c = document.querySelector("[data-testid=annotator-canvas]") as HTMLCanvasElement;
    return { w: c.clientWidth, h: c.clientHeight };
  });
  return [box.x + size.w * (0.25 + 0.5 * fx), box.y + size.h * (0.25 + 0.5 * fy)];
}

it("annotates an image with clicks and a box, saves, and shows the masks after a reload", async () => {
  const { page, close } = await openBrowser();
  try {
    await signIn(page, server.url, ANNOTATOR.email, ANNOTATOR.password);
    const { projectId, imageId } = await openFirstImage(page);
    opened = { projectId, imageId };
    // Waits for the embedding too (the seed's embed job may still be running).
    await page.locator("[data-testid=annotator][data-phase=ready]").waitFor({ timeout: 90_000 });
    let s = await stats(page);
    expect(s.crossOriginIsolated).toBe(true);
    expect(s.threads).toBeGreaterThanOrEqual(1);

    // One click: three candidates, a mask drawn.
    const [x, y] = await canvasPoint(page, 0.5, 0.5);
    await page.mouse.click(x, y);
    await expect.poll(async () => (await stats(page)).clickToDrawn.length, { timeout: 15_000 }).toBe(1);
    s = await stats(page);
    expect(s.candidates).toBe(3);
    // Undo and redo the click.
    const drawn = s.draftArea;
    await page.keyboard.press("Control+z");
    await expect.poll(async () => page.getByTestId("draft-info").textContent()).toContain("0 points");
    expect((await stats(page)).draftArea).toBe(0);
    await page.keyboard.press("Control+Shift+z");
    await expect.poll(async () => page.getByTestId("draft-info").textContent()).toContain("1 point ");
    await expect.poll(async () => (await stats(page)).draftArea).toBe(drawn);
    s = await stats(page);
    // Cycling candidates changes the choice, and the draft layer then shows that candidate's pixels
    // (whether their areas differ is the model's business: the starter's three are often the same).
    const first = s.candidateIndex;
    expect(s.drawnCandidate).toBe(first);
    for (let i = 1; i <= 3; i++) {
      await page.keyboard.press("Tab");
      await expect.poll(async () => (await stats(page)).candidateIndex).toBe((first + i) % 3);
      await expect.poll(async () => (await stats(page)).drawnCandidate).toBe((first + i) % 3);
    }
    // Choose a non-empty candidate, add a background click (refinement from the low-res logits).
    for (let i = 0; i < 3 && (await stats(page)).draftArea === 0; i++) {
      await page.keyboard.press("Tab");
      await page.waitForTimeout(100);
    }
    await page.mouse.click(...(await canvasPoint(page, 0.1, 0.1)), { button: "right" });
    await expect.poll(async () => (await stats(page)).clickToDrawn.length, { timeout: 15_000 }).toBe(2);
    expect((await stats(page)).candidates).toBe(1);
    // Make sure there is something to save whatever the random decoder answered: one brush dab.
    await page.keyboard.press("b");
    await page.mouse.click(...(await canvasPoint(page, 0.5, 0.5)));
    await page.keyboard.press("a");
    await expect.poll(async () => (await stats(page)).draftArea).toBeGreaterThan(0);
    await page.keyboard.press("Enter");
    await expect.poll(async () => page.getByTestId("mask-count").textContent(), { timeout: 15_000 }).toBe("1");

    // A box.
    const [bx0, by0] = await canvasPoint(page, 0.2, 0.2);
    const [bx1, by1] = await canvasPoint(page, 0.8, 0.7);
    await page.mouse.move(bx0, by0);
    await page.mouse.down();
    await page.mouse.move((bx0 + bx1) / 2, (by0 + by1) / 2, { steps: 4 });
    await page.mouse.move(bx1, by1, { steps: 4 });
    await page.mouse.up();
    await expect.poll(async () => (await stats(page)).clickToDrawn.length, { timeout: 15_000 }).toBe(3);
    expect((await stats(page)).candidates).toBe(1);
    if ((await stats(page)).draftArea === 0) {
      await page.keyboard.press("b");
      await page.mouse.click(...(await canvasPoint(page, 0.4, 0.4)));
    }
    await page.getByTestId("save").click();
    await expect.poll(async () => page.getByTestId("mask-count").textContent(), { timeout: 15_000 }).toBe("2");
    await screenshot(page, "annotator");

    // Hover preview (P toggles it) and the shortcut help.
    await page.keyboard.press("p");
    for (const f of [0.3, 0.45, 0.6]) {
      await page.mouse.move(...(await canvasPoint(page, f, f)), { steps: 3 });
      await page.waitForTimeout(150);
    }
    await expect.poll(async () => (await stats(page)).hovers, { timeout: 15_000 }).toBeGreaterThan(0);
    await page.keyboard.press("p");
    await page.keyboard.press("?");
    await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
    expect(await page.getByTestId("shortcuts").locator("tr").count()).toBeGreaterThan(15);
    await screenshot(page, "annotator-help");
    await page.getByRole("button", { name: "Close" }).click();

    // The rows carry clicks and time; a reload shows both masks.
    const rows = await page.evaluate(async ({ projectId, imageId }) => {
      const input = encodeURIComponent(JSON.stringify({ json: { projectId, imageId } }));
      const res = await fetch(`/api/trpc/masks.list?input=${input}`);
      return (await res.json()).result.data.json as { clicks: number; timeSpentMs: number; source: string; prompts: { points: unknown[]; box: unknown } }[];
    }, { projectId, imageId });
    expect(rows).toHaveLength(2);
    expect(rows[0]!.clicks).toBe(3);
    expect(rows[0]!.timeSpentMs).toBeGreaterThan(0);
    expect(rows[0]!.source).toBe("ASSISTED");
    expect(rows[0]!.prompts.points).toHaveLength(2);
    expect(rows[1]!.prompts.box).toHaveLength(4);
    await page.reload();
    await page.locator("[data-testid=annotator][data-phase=ready]").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("mask-count").textContent()).toBe("2");
    expect(await page.getByTestId("mask-list").locator("li").count()).toBe(2);
  } finally {
    await close();
  }
}, 150_000);

async function trpc<T>(page: Page, procedure: string, input: unknown, method: "GET" | "POST"): Promise<{ status: number; data: T }> {
  return page.evaluate(async ({ procedure, input, method }) => {
    const body = JSON.stringify({ json: input });
    const res = method === "GET"
      ? await fetch(`/api/trpc/${procedure}?input=${encodeURIComponent(body)}`)
      : await fetch(`/api/trpc/${procedure}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const json = await res.json();
    return { status: res.status, data: (json.result?.data?.json ?? json.error?.json) as T };
  }, { procedure, input, method });
}

it("keeps the draft on a conflict and across an expired session, and deletes a selected mask", async () => {
  expect(opened, "runs after the first test").toBeDefined();
  const { projectId, imageId } = opened!;
  const pageUrl = `${server.url}/projects/${projectId}/annotate/${imageId}`;
  const { page, context, close } = await openBrowser();
  try {
    await signIn(page, server.url, ANNOTATOR.email, ANNOTATOR.password);
    await page.goto(pageUrl);
    await page.locator("[data-testid=annotator][data-phase=ready]").waitFor({ timeout: 60_000 });
    const count = async () => Number(await page.getByTestId("mask-count").textContent());
    const start = await count();

    // A stale page: the mask changes on the server after it was opened here.
    await page.getByTestId("mask-list").locator("button").first().click();
    await page.keyboard.press("b");
    await page.mouse.click(...(await canvasPoint(page, 0.05, 0.05)));
    const masks = await trpc<{ id: string; version: number }[]>(page, "masks.list", { projectId, imageId }, "GET");
    const labels = await trpc<{ id: string }[]>(page, "projects.labels.list", { projectId }, "GET");
    const first = masks.data[0]!;
    const elsewhere = await trpc(page, "masks.update", { projectId, maskId: first.id, expectedVersion: first.version, labelClassId: labels.data[2]!.id }, "POST");
    expect(elsewhere.status).toBe(200);
    await page.keyboard.press("Enter");
    const notice = page.getByTestId("notice");
    await expect.poll(() => notice.textContent()).toContain("Someone changed this mask");
    // Nothing lost: the edit is still the draft, and can be kept as a new mask.
    expect(await page.getByTestId("draft-info").textContent()).toContain("1 edit");
    await page.getByRole("button", { name: "Save as a new mask" }).click();
    await expect.poll(count, { timeout: 15_000 }).toBe(start + 1);

    // The session expires in the middle of work: the mask is kept and saved after signing in again.
    await page.keyboard.press("a");
    await page.mouse.click(...(await canvasPoint(page, 0.6, 0.4)));
    await page.keyboard.press("b");
    await page.mouse.click(...(await canvasPoint(page, 0.6, 0.4)));
    await context.clearCookies();
    await page.keyboard.press("Enter");
    await expect.poll(() => notice.textContent()).toContain("session has expired");
    const kept = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("annotator:pending:")).length);
    expect(kept).toBe(1);
    await signIn(page, server.url, ANNOTATOR.email, ANNOTATOR.password);
    await page.goto(pageUrl);
    await page.locator("[data-testid=annotator][data-phase=ready]").waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId("notice").textContent(), { timeout: 15_000 }).toContain("Saved 1 mask kept");
    expect(await count()).toBe(start + 2);
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("annotator:pending:")).length)).toBe(0);

    // Relabel a selected mask with a number key: the row keeps its shape and gets the label.
    await page.getByTestId("mask-list").locator("button").first().click();
    await page.keyboard.press("4");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByTestId("notice").textContent(), { timeout: 15_000 }).toContain("Mask updated");
    const relabelled = await trpc<{ id: string; labelClassId: string; version: number }[]>(page, "masks.list", { projectId, imageId }, "GET");
    expect(relabelled.data.find((m) => m.id === first.id)).toMatchObject({ labelClassId: labels.data[3]!.id, version: first.version + 2 });

    // Select and delete.
    await page.getByTestId("mask-list").locator("button").last().click();
    await page.keyboard.press("Delete");
    await expect.poll(count, { timeout: 15_000 }).toBe(start + 1);
  } finally {
    await close();
  }
}, 150_000);
