/**
 * Headless Chromium for the browser benchmarks: a page script bundled with esbuild (tsx's own
 * dependency) and served with COOP/COEP so the page is cross-origin isolated and wasm threads work.
 * The server answers `/` (the page), `/bench.js` (the bundle), `/decoder.onnx` and `/ort/<file>`
 * (onnxruntime-web's wasm and loaders).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export interface ChromiumBench {
  /** A fresh page, loaded and ready once the bundle has set `globalThis[ready]`. */
  openPage(ready: string): Promise<Page>;
  close(): Promise<void>;
}

/** Null when Chromium is not installed (`apt-get install -y chromium`). */
export async function startChromiumBench(entry: string, decoder: Uint8Array): Promise<ChromiumBench | null> {
  if (!existsSync(CHROMIUM)) return null;
  const { build } = await import("esbuild");
  const { chromium: launcher } = await import("playwright-core");
  const here = dirname(fileURLToPath(import.meta.url));
  const bundle = await build({ stdin: { contents: entry, resolveDir: here, loader: "js" }, bundle: true, format: "esm", platform: "browser", write: false, logLevel: "silent" });
  const ortDir = join(here, "../../../node_modules/onnxruntime-web/dist");
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    const send = (body: Uint8Array | string, type: string) => {
      res.writeHead(200, { "Content-Type": type, "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp", "Cross-Origin-Resource-Policy": "same-origin" });
      res.end(body);
    };
    if (url === "/") return send('<!doctype html><script type="module" src="/bench.js"></script>', "text/html");
    if (url === "/bench.js") return send(bundle.outputFiles[0]!.contents, "text/javascript");
    if (url === "/decoder.onnx") return send(decoder, "application/octet-stream");
    const name = url.startsWith("/ort/") ? basename(url) : "";
    if (name && existsSync(join(ortDir, name))) return send(readFileSync(join(ortDir, name)), name.endsWith(".wasm") ? "application/wasm" : "text/javascript");
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as AddressInfo).port;
  const userDir = mkdtempSync(join(tmpdir(), "sam-bench-chromium-"));
  const browser = await launcher.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  return {
    async openPage(ready) {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction((name) => name in globalThis, ready);
      return page;
    },
    async close() {
      await browser.close();
      server.close();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}
