/**
 * sam-core benchmarks. `npm run bench -w packages/sam-core` (add `-- --quick` for a short run, `-- --decoder-only`, `-- --json`
 * for a machine-readable summary at the end).
 *
 * - decoder: ViT-B-architecture decoder (built here, seeded random weights), ms per prompt through
 *   SamPredictor on onnxruntime-node and onnxruntime-web (wasm, in Node), full `predict` (masks at the
 *   original size) and `predictLowRes`; web/node ratio; FLOPs counted from the graph (MatMul/Gemm/Conv/
 *   ConvTranspose/Einsum shapes observed in a run) and achieved GFLOP/s.
 * - encoder: s/image for the tiny and ViT-B architectures on both runtimes; FLOPs analytic from the config
 *   (the formula equals the graph-measured count, see test/inspect/flops.test.ts).
 * - browser: the same decoder through onnxruntime-web in headless Chromium (`browserBench`).
 * - rle: the mask toolkit's `runRleBench()` (bench/rle.ts).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { availableParallelism, cpus, loadavg } from "node:os";
import { buildDecoderOnnx, buildEncoderOnnx, initDecoderWeights, samConfig } from "../src/builder/index.ts";
import type { SamConfigName } from "../src/builder/index.ts";
import { encoderFlops } from "../src/inspect/index.ts";
import { measureFlops } from "../src/runtime/index.ts";
import type { OrtBackend } from "../src/runtime/index.ts";
import { SamPredictor } from "../src/predictor/index.ts";
import { createNodeBackend, decodeImage } from "../src/node.ts";
import { configureWebRuntime, createWebBackend } from "../src/web.ts";
import { CHROMIUM, startChromiumBench } from "./chromium.ts";
import { runRleBench } from "./rle.ts";

const args = new Set(process.argv.slice(2));
const QUICK = args.has("--quick");
const THREADS = Number(process.env.SAM_BENCH_THREADS ?? availableParallelism());

interface Row {
  bench: string;
  runtime: string;
  ms: number;
  flops?: number;
  gflops?: number;
  ratioVsNode?: number;
}
const rows: Row[] = [];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function timeIt(runs: number, warmup: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  return median(times);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function record(r: Row): void {
  const base = rows.find((x) => x.bench === r.bench && x.runtime === "onnxruntime-node");
  if (base && r.runtime !== base.runtime) r.ratioVsNode = r.ms / base.ms;
  if (r.flops) r.gflops = r.flops / (r.ms / 1000) / 1e9;
  rows.push(r);
  const extra = [r.flops ? `${(r.flops / 1e9).toFixed(2)} GFLOP/run` : "", r.gflops ? `${r.gflops.toFixed(1)} GFLOP/s` : "", r.ratioVsNode ? `${r.ratioVsNode.toFixed(2)}x node` : ""]
    .filter(Boolean)
    .join(", ");
  console.log(`  ${r.bench.padEnd(34)} ${r.runtime.padEnd(17)} ${r.ms >= 1000 ? `${(r.ms / 1000).toFixed(2)} s` : `${r.ms.toFixed(2)} ms`}${extra ? `  (${extra})` : ""}`);
}

const backends = (): OrtBackend[] => [createNodeBackend(), createWebBackend()];

interface DecoderSetup {
  decoder: Uint8Array;
  seed: number;
  original: [number, number];
  inputSize: number;
  flops: number;
}

async function decoderBench(): Promise<DecoderSetup> {
  const cfg = samConfig("vit_b");
  const decoder = buildDecoderOnnx(cfg.decoder, initDecoderWeights(cfg.decoder, 1), { variant: "public" }).model;
  const [C, s] = [cfg.decoder.transformerDim, cfg.decoder.embeddingSize];
  const seed = 2;
  const r = rng(seed);
  const embedding = Float32Array.from({ length: C * s * s }, () => (r() - 0.5) * 2);
  const original: [number, number] = [768, 1024]; // a 4:3 photo; masks are returned at this size
  const prompts = Array.from({ length: 16 }, () => ({ points: [[r() * 1024, r() * 768]] as [number, number][], labels: [1] }));
  const node = createNodeBackend();
  // FLOPs of one single-click run, from shapes observed in the graph.
  const feeds = {
    image_embeddings: node.tensor("float32", embedding, [1, C, s, s]),
    point_coords: node.tensor("float32", Float32Array.of(500, 300, 0, 0), [1, 2, 2]),
    point_labels: node.tensor("float32", Float32Array.of(1, -1), [1, 2]),
    mask_input: node.tensor("float32", new Float32Array(16 * s * s), [1, 1, 4 * s, 4 * s]),
    has_mask_input: node.tensor("float32", Float32Array.of(0), [1]),
    orig_im_size: node.tensor("float32", Float32Array.of(...original), [2]),
  };
  const flops = (await measureFlops(node, decoder, feeds)).total;
  console.log(`decoder (vit_b architecture, ${(decoder.length / 1e6).toFixed(1)} MB), one click, masks at ${original[1]}x${original[0]}:`);
  for (const backend of backends()) {
    const p = await SamPredictor.create({ backend, decoder, sessionOptions: { threads: THREADS } });
    p.setEmbedding({ data: embedding, shape: [1, C, s, s], originalSize: original, inputSize: cfg.decoder.inputSize, modelId: "" });
    const runs = QUICK ? 8 : 40;
    const full = await timeIt(runs, 3, (i) => p.predict({ ...prompts[i % prompts.length]!, multimask: true }));
    record({ bench: "decoder predict (ms/prompt)", runtime: backend.name, ms: full, flops });
    const low = await timeIt(runs, 3, (i) => p.predictLowRes({ ...prompts[i % prompts.length]!, multimask: true }));
    record({ bench: "decoder predictLowRes (ms/prompt)", runtime: backend.name, ms: low, flops });
    await p.release();
  }
  return { decoder, seed, original, inputSize: cfg.decoder.inputSize, flops };
}

async function encoderBench(arch: SamConfigName, runs: number): Promise<void> {
  const cfg = samConfig(arch);
  const t0 = performance.now();
  const built = buildEncoderOnnx(cfg.encoder, { seed: 1 });
  const flops = encoderFlops(cfg.encoder);
  const decoder = buildDecoderOnnx(cfg.decoder, initDecoderWeights(cfg.decoder, 1), { variant: "public" }).model;
  const image = await decodeImage(readFileSync("/work/shared/samples/dog.jpg"));
  console.log(`encoder ${arch} (${(built.model.length / 1e6).toFixed(1)} MB, built in ${((performance.now() - t0) / 1000).toFixed(1)} s), dog.jpg 800x534 incl. preprocessing:`);
  for (const backend of backends()) {
    const p = await SamPredictor.create({ backend, decoder, encoder: built.model, encoderExternalData: undefined, sessionOptions: { threads: THREADS } });
    const ms = await timeIt(runs, 1, () => p.setImage(image));
    record({ bench: `encoder ${arch} (s/image)`, runtime: backend.name, ms, flops });
    await p.release();
  }
}

/**
 * The decoder in headless Chromium: src/web.ts bundled with esbuild (tsx's own dependency), served with
 * COOP/COEP so wasm threads work, SamPredictor run in the page. Skipped when /usr/bin/chromium is absent
 * (`apt-get install -y chromium`). The encoder in the browser is not benchmarked (it runs server-side).
 */
async function browserBench(decoder: Uint8Array, embeddingSeed: number, original: [number, number], inputSize: number, flops: number): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const entry = `
    import { SamPredictor, createWebBackend, configureWebRuntime } from ${JSON.stringify(join(here, "../src/web.ts"))};
    globalThis.runDecoderBench = async (cfg) => {
      configureWebRuntime({ wasmPaths: "/ort/", numThreads: cfg.threads });
      const decoder = new Uint8Array(await (await fetch("/decoder.onnx")).arrayBuffer());
      const p = await SamPredictor.create({ backend: createWebBackend(), decoder });
      let s = cfg.seed >>> 0;
      const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      const [C, h, w] = p.embeddingShape.slice(1);
      const data = Float32Array.from({ length: C * h * w }, () => (r() - 0.5) * 2);
      p.setEmbedding({ data, shape: p.embeddingShape, originalSize: cfg.original, inputSize: cfg.inputSize, modelId: "" });
      const time = async (fn) => {
        for (let i = 0; i < 3; i++) await fn(i);
        const t = [];
        for (let i = 0; i < cfg.runs; i++) { const t0 = performance.now(); await fn(i); t.push(performance.now() - t0); }
        t.sort((a, b) => a - b);
        return t[Math.floor(t.length / 2)];
      };
      const click = (i) => ({ points: [[(i * 97) % cfg.original[1], (i * 57) % cfg.original[0]]], labels: [1], multimask: true });
      const full = await time((i) => p.predict(click(i)));
      const low = await time((i) => p.predictLowRes(click(i)));
      return { full, low, isolated: globalThis.crossOriginIsolated, threads: cfg.threads };
    };`;
  const chromium = await startChromiumBench(entry, decoder);
  if (!chromium) {
    console.log(`browser: skipped (${CHROMIUM} not found; apt-get install -y chromium)`);
    return;
  }
  try {
    const page = await chromium.openPage("runDecoderBench");
    const cfg = { threads: THREADS, seed: embeddingSeed, original, inputSize, runs: QUICK ? 8 : 40 };
    const res = (await page.evaluate((c) => (globalThis as unknown as { runDecoderBench(c: unknown): Promise<unknown> }).runDecoderBench(c), cfg)) as {
      full: number;
      low: number;
      isolated: boolean;
    };
    console.log(`browser: headless Chromium, crossOriginIsolated=${res.isolated}, ${THREADS} wasm threads requested`);
    record({ bench: "decoder predict (ms/prompt)", runtime: "chromium-wasm", ms: res.full, flops });
    record({ bench: "decoder predictLowRes (ms/prompt)", runtime: "chromium-wasm", ms: res.low, flops });
  } finally {
    await chromium.close();
  }
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  // Other work on the machine skews every number: print the load so readers can judge.
  const load = loadavg().map((x) => x.toFixed(1)).join(" ");
  console.log(`sam-core bench on ${cpu}, ${availableParallelism()} cores, load average ${load}, Node ${process.version}, ${THREADS} runtime threads${QUICK ? ", quick" : ""}`);
  configureWebRuntime({ numThreads: THREADS });
  const dec = await decoderBench();
  await browserBench(dec.decoder, dec.seed, dec.original, dec.inputSize, dec.flops);
  if (!args.has("--decoder-only")) {
    await encoderBench("tiny", QUICK ? 3 : 10);
    await encoderBench("vit_b", QUICK ? 1 : 3);
  }
  console.log("RLE (mask toolkit):");
  const rle = runRleBench(QUICK ? { masks: 100, naiveMasks: 10 } : {});
  console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  if (args.has("--json")) console.log(JSON.stringify({ threads: THREADS, rows, rle }, null, 2));
}

await main();
