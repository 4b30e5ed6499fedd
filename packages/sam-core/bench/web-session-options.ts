/**
 * Which onnxruntime-web session options help the decoder's latency in a browser?
 * `npx tsx bench/web-session-options.ts [--runs N] [--rounds R] [--threads 1,2] [--variants a,b]`
 * (from packages/sam-core).
 *
 * The ViT-B-architecture decoder (seeded weights) runs `predictLowRes` (what the annotator draws per
 * click) in headless Chromium, cross-origin isolated, once per variant of the session options and per
 * wasm thread count. Every (variant, threads) gets a fresh page, so a fresh wasm instance whose thread
 * count is its own. Variants run interleaved over several rounds, so load from other work on the machine
 * hits them alike; the result is each one's median over all its runs and its ratio to the baseline (the
 * options createWebBackend used before this bench) at the same thread count.
 */
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDecoderOnnx, initDecoderWeights, samConfig } from "../src/builder/index.ts";
import { CHROMIUM, startChromiumBench } from "./chromium.ts";

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const RUNS = arg("--runs", 30);
const ROUNDS = arg("--rounds", 3);
const THREADS = argv.includes("--threads") ? argv[argv.indexOf("--threads") + 1]!.split(",").map(Number) : [1, Math.max(2, availableParallelism())];

/** Raw onnxruntime-web session options; `baseline` is what createWebBackend passed before. */
const BASE = { graphOptimizationLevel: "all", executionProviders: ["wasm"] };
const VARIANTS: Record<string, { options: Record<string, unknown>; multiThreadOnly?: boolean }> = {
  baseline: { options: BASE },
  // ORT's default execution mode already: the same options as the baseline, so its ratio shows the noise.
  "sequential (A/A control)": { options: { ...BASE, executionMode: "sequential" } },
  // Intra-op worker threads sleep instead of spinning between ops (no thread pool with 1 thread).
  "no spinning": { options: { ...BASE, extra: { session: { intra_op: { allow_spinning: "0" } } } }, multiThreadOnly: true },
  "optimization extended": { options: { ...BASE, graphOptimizationLevel: "extended" } },
  // onnxruntime-web passes !!enableCpuMemArena and !!enableMemPattern to the runtime: unset means off,
  // so every intermediate tensor is a fresh allocation unless these are asked for.
  "mem arena": { options: { ...BASE, enableCpuMemArena: true } },
  "mem arena + mem pattern": { options: { ...BASE, enableCpuMemArena: true, enableMemPattern: true } },
};
/** --variants "baseline,mem arena" runs only those (the baseline always runs). */
const ONLY = argv.includes("--variants") ? new Set(["baseline", ...argv[argv.indexOf("--variants") + 1]!.split(",")]) : null;
const variantsFor = (threads: number) =>
  Object.keys(VARIANTS).filter((n) => (threads > 1 || !VARIANTS[n]!.multiThreadOnly) && (!ONLY || ONLY.has(n)));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.95 * xs.length))]!;

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const cfg = samConfig("vit_b");
  const decoder = buildDecoderOnnx(cfg.decoder, initDecoderWeights(cfg.decoder, 1), { variant: "public" }).model;

  // The page: a backend over onnxruntime-web whose session options are the variant's, verbatim.
  const entry = `
    import * as ort from "onnxruntime-web";
    import { SamPredictor, createOrtBackend } from ${JSON.stringify(join(here, "../src/index.ts"))};
    globalThis.runVariant = async (cfg) => {
      ort.env.wasm.wasmPaths = "/ort/";
      ort.env.wasm.numThreads = cfg.threads;
      const backend = createOrtBackend({ name: "onnxruntime-web", ort, sessionOptions: () => cfg.options });
      const decoder = new Uint8Array(await (await fetch("/decoder.onnx")).arrayBuffer());
      const p = await SamPredictor.create({ backend, decoder });
      let s = 2;
      const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      const [C, h, w] = p.embeddingShape.slice(1);
      const data = Float32Array.from({ length: C * h * w }, () => (r() - 0.5) * 2);
      p.setEmbedding({ data, shape: p.embeddingShape, originalSize: [768, 1024], inputSize: 1024, modelId: "" });
      const click = (i) => ({ points: [[(i * 97) % 1024, (i * 57) % 768]], labels: [1], multimask: true });
      for (let i = 0; i < 3; i++) await p.predictLowRes(click(i));
      const times = [];
      for (let i = 0; i < cfg.runs; i++) { const t0 = performance.now(); await p.predictLowRes(click(i)); times.push(performance.now() - t0); }
      await p.release();
      return { times, isolated: globalThis.crossOriginIsolated };
    };`;
  const chromium = await startChromiumBench(entry, decoder);
  if (!chromium) throw new Error(`${CHROMIUM} not found (apt-get install -y chromium)`);
  const times = new Map<string, number[]>();
  console.log(`decoder predictLowRes in Chromium: ${RUNS} runs x ${ROUNDS} rounds per variant, threads ${THREADS.join(" and ")}, ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const threads of THREADS) {
        const names = variantsFor(threads);
        // Rotate the order each round so no variant always runs first (warmest or coldest machine).
        const order = names.map((_, i) => names[(i + round) % names.length]!);
        for (const name of order) {
          const page = await chromium.openPage("runVariant");
          const res = (await page.evaluate(
            (c) => (globalThis as unknown as { runVariant(c: unknown): Promise<unknown> }).runVariant(c),
            { threads, runs: RUNS, options: VARIANTS[name]!.options },
          )) as { times: number[]; isolated: boolean };
          await page.close();
          if (!res.isolated) throw new Error("the page is not cross-origin isolated: wasm threads would fall back to 1");
          const key = `${threads}|${name}`;
          times.set(key, [...(times.get(key) ?? []), ...res.times]);
        }
      }
    }
  } finally {
    await chromium.close();
  }
  for (const threads of THREADS) {
    const base = median(times.get(`${threads}|baseline`)!);
    console.log(`\n${threads} wasm thread${threads > 1 ? "s" : ""}:`);
    for (const name of variantsFor(threads)) {
      const t = times.get(`${threads}|${name}`)!;
      const m = median(t);
      console.log(`  ${name.padEnd(26)} median ${m.toFixed(1).padStart(7)} ms  p95 ${p95(t).toFixed(1).padStart(7)} ms  ${(m / base).toFixed(3)}x baseline`);
    }
  }
  console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
}

await main();
