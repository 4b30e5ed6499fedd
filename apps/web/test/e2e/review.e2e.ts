// Review, exports and dashboard in a real browser against the real server (seeded demo, embedded
// worker): a reviewer sees a proposed mask drawn over its image and accepts it with one key; a second
// decision on a mask someone else decided gets the conflict message and changes nothing; an admin
// starts an export and downloads the archive; the dashboard shows the decisions. Screenshots go to
// test-results/screenshots/.
import { gunzipSync } from "node:zlib";
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rectangleRle } from "../support/coco-rle.ts";
import { ADMIN, REVIEWER, openBrowser, screenshot, signIn, startTestServer, type TestServer } from "./harness.ts";

// The seeded demo's documented labels (apps/worker/src/seed.ts).
const DOG_RGB = [0xe6, 0x19, 0x4b];

let server: TestServer;
let admin: Awaited<ReturnType<typeof openBrowser>>;
let projectId: string;
const maskIds: string[] = [];

/** Calls a tRPC procedure from inside the page, with the page's session cookie. */
async function trpc<T>(page: Page, proc: string, input: unknown, method: "GET" | "POST" = "GET"): Promise<T> {
  const result = await page.evaluate(
    async ({ proc, input, method }) => {
      const res = method === "GET"
        ? await fetch(`/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`)
        : await fetch(`/api/trpc/${proc}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ json: input }) });
      return { status: res.status, body: await res.json() };
    },
    { proc, input, method },
  );
  if (result.status !== 200) throw new Error(`${proc}: HTTP ${result.status} ${JSON.stringify(result.body)}`);
  return result.body.result.data.json as T;
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await openBrowser();
  await signIn(admin.page, server.url, ADMIN.email, ADMIN.password);
  const projects = await trpc<{ id: string; name: string }[]>(admin.page, "projects.list", {});
  projectId = projects.find((p) => p.name === "Demo")!.id;
  // The seed's ingest job runs in the embedded worker.
  let images: { id: string; width: number; height: number }[] = [];
  const deadline = Date.now() + 120_000;
  while (images.length === 0 && Date.now() < deadline) {
    images = (await trpc<{ items: typeof images }>(admin.page, "images.list", { projectId })).items;
    if (images.length === 0) await admin.page.waitForTimeout(1_500);
  }
  expect(images.length).toBeGreaterThan(0);
  const project = await trpc<{ labelClasses: { id: string; name: string }[] }>(admin.page, "projects.get", { projectId });
  const dog = project.labelClasses.find((l) => l.name === "dog")!;
  // Two proposed masks: a box over the middle of the first image (higher predicted IoU, reviewed
  // first), and one on the second image.
  for (const [i, iou] of [[0, 0.97], [1, 0.83]] as const) {
    const img = images[Math.min(i, images.length - 1)]!;
    const box: [number, number, number, number] = [Math.round(img.width * 0.3), Math.round(img.height * 0.3), Math.round(img.width * 0.3), Math.round(img.height * 0.3)];
    const mask = await trpc<{ id: string }>(
      admin.page, "masks.create",
      { projectId, imageId: img.id, labelClassId: dog.id, rle: rectangleRle(img.height, img.width, box), stage: 2, predictedIou: iou, stabilityScore: 0.96 },
      "POST",
    );
    maskIds.push(mask.id);
  }
}, 240_000);

afterAll(async () => {
  await admin?.close();
  if (!server) return;
  const code = await server.stop();
  expect(code, server.output()).toBe(0);
});

describe("review queue", () => {
  it("draws the proposed mask over its image, accepts it with A, and shows a conflict when someone else decided first", async () => {
    const { page, close } = await openBrowser();
    try {
      await signIn(page, server.url, REVIEWER.email, REVIEWER.password);
      await page.goto(`${server.url}/projects/${projectId}/review`);
      const details = page.getByTestId("mask-details");
      await details.waitFor();
      expect(await details.getAttribute("data-mask-id")).toBe(maskIds[0]);
      expect(await page.getByTestId("predicted-iou").textContent()).toBe("0.970");

      // The canvas shows the photo, blended with the label colour inside the mask only.
      const canvas = page.locator(`[data-testid="mask-canvas"][data-mask-id="${maskIds[0]}"]`);
      await canvas.waitFor();
      await expect.poll(async () => {
        const p = await page.evaluate(async ({ projectId }) => {
          const c = document.querySelector<HTMLCanvasElement>('[data-testid="mask-canvas"]')!;
          const q = await fetch(`/api/trpc/review.queue?input=${encodeURIComponent(JSON.stringify({ json: { projectId, limit: 1 } }))}`).then((r) => r.json());
          const img = new Image();
          img.src = q.result.data.json.items[0].image.url;
          await img.decode();
          const ref = document.createElement("canvas");
          ref.width = c.width;
          ref.height = c.height;
          ref.getContext("2d")!.drawImage(img, 0, 0, c.width, c.height);
          const at = (cv: HTMLCanvasElement, fx: number, fy: number) => [...cv.getContext("2d")!.getImageData(Math.floor(c.width * fx), Math.floor(c.height * fy), 1, 1).data];
          return { inside: at(c, 0.45, 0.45), insideRef: at(ref, 0.45, 0.45), outside: at(c, 0.1, 0.1), outsideRef: at(ref, 0.1, 0.1) };
        }, { projectId });
        return p;
      }, { timeout: 15_000 }).toSatisfy((p: { inside: number[]; insideRef: number[]; outside: number[]; outsideRef: number[] }) => {
        const alpha = 115 / 255;
        const blendOk = [0, 1, 2].every((k) => Math.abs(p.inside[k]! - (alpha * DOG_RGB[k]! + (1 - alpha) * p.insideRef[k]!)) <= 12);
        const outsideOk = [0, 1, 2].every((k) => Math.abs(p.outside[k]! - p.outsideRef[k]!) <= 12);
        return blendOk && outsideOk;
      });
      await screenshot(page, "review-queue");

      await page.keyboard.press("?");
      await page.getByTestId("review-help").waitFor();
      await screenshot(page, "review-help");
      await page.keyboard.press("Escape");
      expect(await page.getByTestId("review-help").count()).toBe(0);

      // The grid view (a filter in the URL) shows both masks zoomed to their boxes.
      await page.goto(`${server.url}/projects/${projectId}/review?view=grid`);
      await page.getByTestId("review-grid").waitFor();
      await expect.poll(() => page.getByTestId("review-grid").locator('[data-testid="mask-canvas"][data-drawn="true"]').count()).toBe(2);
      await screenshot(page, "review-grid");
      await page.goto(`${server.url}/projects/${projectId}/review`);
      await details.waitFor();

      // A accepts and moves on to the next mask.
      await page.keyboard.press("a");
      await expect.poll(() => details.getAttribute("data-mask-id")).toBe(maskIds[1]);
      await expect.poll(async () => (await trpc<{ action: string; reviewer: { email: string } }[]>(page, "review.history", { projectId, maskId: maskIds[0] })).map((d) => `${d.action} ${d.reviewer.email}`)).toEqual([`ACCEPT ${REVIEWER.email}`]);

      // The admin accepts the second mask while the reviewer still has it on screen; the reviewer's R is refused.
      const second = await trpc<{ status: string }>(admin.page, "review.decide", { projectId, maskId: maskIds[1], expectedVersion: 1, action: "ACCEPT" }, "POST");
      expect(second.status).toBe("ACCEPTED");
      await page.keyboard.press("r");
      const banner = page.getByTestId("review-banner");
      await banner.waitFor();
      expect(await banner.textContent()).toMatch(/was already accepted by Demo Admin \(admin@demo\.local\).*your decision was not applied/);
      await screenshot(page, "review-conflict");
      const history = await trpc<{ action: string; reviewer: { email: string } }[]>(page, "review.history", { projectId, maskId: maskIds[1] });
      expect(history.map((d) => `${d.action} ${d.reviewer.email}`)).toEqual([`ACCEPT ${ADMIN.email}`]);

      await page.reload();
      await page.getByTestId("queue-empty").waitFor();
    } finally {
      await close();
    }
  });
});

describe("exports and dashboard", () => {
  it("starts an export as admin, follows it to ready, and downloads the archive", async () => {
    const page = admin.page;
    await page.goto(`${server.url}/projects/${projectId}/exports`);
    const form = page.getByTestId("start-export");
    await form.getByLabel("Name").fill("e2e export");
    await form.getByLabel("PNG masks").check();
    await form.getByRole("button", { name: "Start export" }).click();
    await expect.poll(() => page.getByTestId("export-message").textContent()).toMatch(/queued/);
    const row = page.getByTestId("export-row").filter({ hasText: "e2e export" });
    await expect.poll(() => row.getAttribute("data-status"), { timeout: 90_000 }).toBe("READY");
    // The two accepted masks, on their images.
    expect(await row.locator("td").nth(3).textContent()).toBe("2");
    const [download] = await Promise.all([page.waitForEvent("download"), row.getByTestId("export-download").click()]);
    const file = await download.path();
    const bytes = await readFile(file);
    expect([...bytes.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    const tar = gunzipSync(bytes).toString("latin1");
    for (const name of ["manifest.json", "coco", "sa1b"]) expect(tar).toContain(name);
    expect(await row.getByTestId("export-link").count()).toBe(1);
    await screenshot(page, "exports");
  });

  it("shows the dashboard with the decisions counted", async () => {
    const page = admin.page;
    await page.goto(`${server.url}/projects/${projectId}/dashboard`);
    await page.getByTestId("dashboard-stats").waitFor();
    expect(Number(await page.getByTestId("stat-masks").textContent())).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId("chart-masks-per-stage").locator("svg polyline").count()).toBeGreaterThan(0);
    expect(await page.getByTestId("chart-masks-per-image").locator("svg rect").count()).toBeGreaterThan(0);
    await screenshot(page, "dashboard");
  });
});
