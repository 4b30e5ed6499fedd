// `npm run bench:web`: the real annotator page in headless Chromium, with a vit_b-architecture decoder.
//
// Starts the app in this process on a temporary data directory (seeded demo), registers a bench model
// whose decoder is SAM's vit_b decoder (prompt encoder + mask decoder, the part that runs in the browser)
// and whose image encoder is a reduced ViT with the same [1,256,64,64] output (the encoder runs on the
// server and only has to produce embeddings of the right shape here), embeds two images, then drives the
// annotator: time from opening an image to the first mask possible (embedding present, cold and cached
// browser), and time from click to mask drawn over 100 clicks, with 1 wasm thread and with several.
//
// Options: --clicks N (default 100), --threads a,b (default 1 and min(8, cores)), --quick (20 clicks).
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { buildDecoderOnnx, buildEncoderOnnx, initDecoderWeights, samConfig, type EncoderConfig } from "@data-engine/sam-core";
import { activateModel, getServices, registerModelVersion, requestEmbedding } from "@data-engine/worker";
import { ensureBuild } from "../scripts/ensure-build.ts";
import type { AnnotatorStats as Stats } from "../src/annotator/ui/annotator.tsx";
import { startServer } from "../src/server/bootstrap/start-server.ts";
import { ANNOTATOR, openBrowser, signIn } from "../test/e2e/harness.ts";

const { values } = parseArgs({ options: { clicks: { type: "string" }, threads: { type: "string" }, quick: { type: "boolean" } } });
const CLICKS = values.clicks ? Number.parseInt(values.clicks, 10) : values.quick ? 20 : 100;
const CLICKS_PER_OBJECT = 5;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** A small ViT with SAM's encoder interface at input 1024: output [1, 256, 64, 64] like vit_b's. */
const BENCH_ENCODER: EncoderConfig = { imgSize: 1024, patchSize: 16, embedDim: 64, depth: 2, numHeads: 2, mlpRatio: 2, outChans: 256, windowSize: 14, globalAttnIndexes: [1] };

async function prepare() {
  ensureBuild();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "web-bench-"));
  const server = await startServer({ seed: true, port: 0, host: "127.0.0.1", dataDir, workerMode: "embedded", log: () => undefined });
  const services = await getServices({ dataDir });
  const prisma = services.prisma;
  const project = await prisma.project.findUniqueOrThrow({ where: { slug: "demo" } });
  const deadline = Date.now() + 180_000;
  while ((await prisma.job.count({ where: { projectId: project.id, type: "INGEST", status: "SUCCEEDED" } })) < 1) {
    if (Date.now() > deadline) throw new Error("the demo images were not ingested within 180 s");
    await new Promise((r) => setTimeout(r, 500));
  }
  const vitB = samConfig("vit_b");
  const encoder = buildEncoderOnnx(BENCH_ENCODER, { seed: 11, inputForm: "normalized" });
  const decoder = buildDecoderOnnx(vitB.decoder, initDecoderWeights(vitB.decoder, 12), { variant: "public" });
  const model = await registerModelVersion(services, {
    name: "bench: vit_b decoder, reduced encoder", architecture: "vit_b", source: "BUILT",
    encoder: { model: encoder.model }, decoder: { model: decoder.model }, projectId: project.id,
    config: { builder: { decoder: "vit_b", encoder: BENCH_ENCODER } },
  });
  await activateModel(services, { projectId: project.id, modelVersionId: model.id, embed: false });
  // The largest image that has a successor (the bench should not flatter itself with a thumbnail), and
  // that successor, which the annotator's "next image" key opens.
  const images = await prisma.image.findMany({ where: { projectId: project.id }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  if (images.length < 2) throw new Error("the demo needs at least two images");
  const first = images.slice(0, -1).reduce((best, img) => (img.width * img.height > best.width * best.height ? img : best));
  const chosen = [first, images[images.indexOf(first) + 1]!];
  for (const img of chosen) await requestEmbedding(services, { imageId: img.id, modelVersionId: model.id });
  while ((await prisma.embedding.count({ where: { modelVersionId: model.id, imageId: { in: chosen.map((c) => c.id) } } })) < chosen.length) {
    if (Date.now() > deadline + 180_000) throw new Error("the bench images were not embedded in time");
    await new Promise((r) => setTimeout(r, 500));
  }
  return { server, dataDir, projectId: project.id, images: chosen, decoderBytes: decoder.model.byteLength };
}

const stats = (page: Page) => page.evaluate(() => (window as unknown as { __annotator: Stats }).__annotator);

async function openAndWait(page: Page, url: string): Promise<Stats> {
  await page.goto(url);
  await page.locator("[data-testid=annotator][data-phase=ready], [data-testid=annotator][data-phase=error]").waitFor({ timeout: 120_000 });
  if ((await page.getByTestId("annotator").getAttribute("data-phase")) === "error") {
    throw new Error(`the annotator did not start: ${await page.getByTestId("annotator-status").textContent()}`);
  }
  return stats(page);
}

async function clickRun(page: Page, clicks: number): Promise<number[]> {
  const box = (await page.getByTestId("annotator-canvas").boundingBox())!;
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < clicks; i++) {
    if (i % CLICKS_PER_OBJECT === 0) await page.keyboard.press("Escape");
    const before = (await stats(page)).clickToDrawn.length;
    const x = box.x + box.width * (0.3 + 0.4 * rnd());
    const y = box.y + box.height * (0.3 + 0.4 * rnd());
    // The first click of an object is foreground; refinements alternate background and foreground.
    const background = i % CLICKS_PER_OBJECT !== 0 && i % 2 === 0;
    await page.mouse.click(x, y, { button: background ? "right" : "left" });
    try {
      await page.waitForFunction((n) => (window as unknown as { __annotator: Stats }).__annotator.clickToDrawn.length > n, before, { timeout: 120_000 });
    } catch (err) {
      const notice = await page.getByTestId("notice").textContent({ timeout: 1000 }).catch(() => null);
      const status = await page.getByTestId("annotator-status").textContent({ timeout: 1000 }).catch(() => null);
      throw new Error(`click ${i} got no mask within 120 s; status: ${status}; notice: ${notice}; stats: ${JSON.stringify(await stats(page))}`, { cause: err });
    }
  }
  const s = await stats(page);
  return s.clickToDrawn.slice(-clicks);
}

async function main() {
  const t0 = Date.now();
  const cores = os.availableParallelism();
  const threadList = values.threads ? values.threads.split(",").map((t) => Number.parseInt(t, 10)) : [1, Math.max(2, Math.min(8, cores))];
  console.log(`web annotator bench: ${os.cpus()[0]?.model ?? "CPU"}, ${cores} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, Node ${process.version}`);
  const setup = await prepare();
  console.log(`app ready with the bench model (vit_b decoder, ${(setup.decoderBytes / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(0)} s; images: ${setup.images.map((i) => `${i.fileName} ${i.width}x${i.height}`).join(", ")}`);
  const rows: string[] = [];
  try {
    for (const threads of threadList) {
      const { page, close } = await openBrowser();
      try {
        page.on("pageerror", (err) => console.error(`[page] ${err.message}`));
        page.on("console", (msg) => {
          if (msg.type() === "error") console.error(`[page console] ${msg.text()}`);
        });
        page.on("response", (res) => {
          if (res.status() >= 400) console.error(`[page] HTTP ${res.status()} for ${res.url()}`);
        });
        await signIn(page, setup.server.url, ANNOTATOR.email, ANNOTATOR.password);
        const [a, b] = setup.images;
        const url = (img: { id: string }) => `${setup.server.url}/projects/${setup.projectId}/annotate/${img.id}?threads=${threads}`;
        // Cold: the embedding comes from the server (fresh browser profile). Then warm: from the cache.
        const cold = await openAndWait(page, url(a!));
        const warm = await openAndWait(page, url(a!));
        // "Next image" inside the app: the decoder stays loaded, the next embedding was preloaded.
        const t0 = await page.evaluate(() => performance.now());
        await page.keyboard.press("n");
        await page.waitForURL(new RegExp(`/annotate/${b!.id}`));
        const next = await page.waitForFunction(
          (t) => {
            const st = (window as unknown as { __annotator: Stats }).__annotator;
            return st.phase === "ready" && st.readyAt !== null && st.readyAt > t ? st.readyAt - t : null;
          },
          t0,
          { timeout: 120_000 },
        );
        const nextMs = (await next.jsonValue()) as number;
        await openAndWait(page, url(a!));
        // Warm-up clicks (first runs allocate and JIT), then the measured ones.
        await clickRun(page, 5);
        const ms = (await clickRun(page, CLICKS)).sort((x, y) => x - y);
        const s = await stats(page);
        const decode = [...s.decodeMs.slice(-CLICKS)].sort((x, y) => x - y);
        rows.push(
          [
            `threads=${s.threads} (asked ${threads}, crossOriginIsolated=${s.crossOriginIsolated})`,
            `  click -> mask drawn over ${ms.length} clicks: median ${fmt(quantile(ms, 0.5))}, p95 ${fmt(quantile(ms, 0.95))} (decoder run alone: median ${fmt(quantile(decode, 0.5))}, p95 ${fmt(quantile(decode, 0.95))})`,
            `  open image -> first mask possible (page load, decoder download and start included): ${fmt(cold.readyAt!)} with the embedding and decoder downloaded, ${fmt(warm.readyAt!)} with both in the browser cache (decoder from cache: ${warm.decoderFromCache}, ${cold.decoderFromCache} on the first open)`,
            `  next image key -> first mask possible (decoder already loaded, embedding preloaded): ${fmt(nextMs)}`,
          ].join("\n"),
        );
        console.log(rows.at(-1));
      } finally {
        await close();
      }
    }
  } finally {
    await setup.server.close();
    await rm(setup.dataDir, { recursive: true, force: true });
  }
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}; total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
