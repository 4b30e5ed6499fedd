/**
 * The low-rank AMG decoder's graphs alone (no generator, no post-processing): CPU and wall time per
 * prompt of the tokens graph (IoU stage) and the masks graph, for a batch of `--batch` single-point
 * prompts (default 64, the generator's default batch) on the ViT-B-architecture decoder (seeded random
 * weights), each the best of `--reps` runs (default 5). `--batch 16` against the default shows what a
 * small batch costs per prompt.
 *
 *   npm run bench:amg-graphs            (root), or `npx tsx bench/amg-graphs.ts` here
 *   npx tsx bench/amg-graphs.ts --compare ./old-lowrank.ts
 *
 * `--compare FILE` (a module path relative to this file, exporting `buildAmgLowRankDecoder` and
 * `PREPARED_FOR_TOKENS`, e.g. an earlier commit's `src/builder/decoder/amg-lowrank.ts` saved next to
 * the current one) runs both builds in the same process, alternating, so that one machine state times
 * both; their IoU predictions are checked to agree first.
 */
import { availableParallelism } from "node:os";
import * as current from "../src/builder/decoder/amg-lowrank.ts";
import { initDecoderWeights, samConfig } from "../src/builder/index.ts";
import type { RtSession, RtTensor } from "../src/runtime/backend.ts";
import { float32Data } from "../src/runtime/backend.ts";
import { createNodeBackend } from "../src/node.ts";

type Builder = Pick<typeof current, "buildAmgLowRankDecoder" | "PREPARED_FOR_TOKENS">;
const { TOKENS_OUTPUTS } = current;

const argv = process.argv.slice(2);
const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const REPS = Number(arg("--reps") ?? 5);
const THREADS = Number(arg("--threads") ?? availableParallelism());
const B = Number(arg("--batch") ?? 64);

const cfg = samConfig("vit_b");
const weights = initDecoderWeights(cfg.decoder, 1);
const backend = createNodeBackend();
const side = cfg.decoder.embeddingSize;
const image = Float32Array.from({ length: cfg.decoder.transformerDim * side * side }, (_, i) => Math.sin(i * 0.37));
const coords = new Float32Array(B * 4);
const labels = new Float32Array(B * 2);
for (let i = 0; i < B; i++) {
  coords.set([100 + 7 * (i % 40), 300 + 9 * (i % 64), 0, 0], 4 * i);
  labels.set([1, -1], 2 * i);
}

interface Stages {
  tokens(): Promise<Record<string, RtTensor>>;
  masks(out: Record<string, RtTensor>): Promise<unknown>;
}

async function stages(b: Builder): Promise<Stages> {
  const graphs = b.buildAmgLowRankDecoder(cfg.decoder, weights, {});
  const open = (bytes: Uint8Array): Promise<RtSession> => backend.createSession(bytes, { threads: THREADS });
  const [prepare, tokens, masks] = await Promise.all([open(graphs.prepare), open(graphs.tokens), open(graphs.masks)]);
  const names = [...b.PREPARED_FOR_TOKENS, "s_up"];
  const prepared = await prepare.run({ image_embeddings: backend.tensor("float32", image, [1, cfg.decoder.transformerDim, side, side]) }, names);
  const feeds: Record<string, RtTensor> = {
    point_coords: backend.tensor("float32", coords, [B, 2, 2]),
    point_labels: backend.tensor("float32", labels, [B, 2]),
  };
  for (const n of b.PREPARED_FOR_TOKENS) feeds[n] = prepared[n]!;
  return {
    tokens: () => tokens.run(feeds, TOKENS_OUTPUTS),
    masks: (out) =>
      masks.run({ s_up: prepared["s_up"]!, scale: out["scale"]!, lowrank: out["lowrank"]!, mix_up: out["mix_up"]!, hyper_in: out["hyper_in"]! }, ["low_res_masks"]),
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; cpu: number; wall: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, cpu: (c.user + c.system) / 1000, wall: performance.now() - t0 };
}

async function main(): Promise<void> {
  const builds: [string, Builder][] = [["current", current]];
  const other = arg("--compare");
  if (other) builds.push([other, (await import(other)) as Builder]);
  const runs = await Promise.all(builds.map(async ([label, b]) => [label, await stages(b)] as const));
  // Warm-up (session init, onnxruntime's arena grown), and the builds must agree before they are timed.
  const first = await Promise.all(runs.map(async ([, s]) => {
    const out = await s.tokens();
    await s.masks(out);
    return float32Data(out["iou_predictions"]!, "iou_predictions");
  }));
  for (const iou of first.slice(1)) {
    const gap = iou.reduce((m, v, i) => Math.max(m, Math.abs(v - first[0]![i]!)), 0);
    if (!(gap <= 1e-5)) throw new Error(`--compare build's IoU predictions differ by ${gap}`);
  }
  const best = new Map<string, { tc: number; tw: number; mc: number; mw: number }>();
  for (let r = 0; r < REPS; r++) {
    for (const [label, s] of runs) {
      const t = await timed(() => s.tokens());
      const m = await timed(() => s.masks(t.value));
      const b = best.get(label) ?? { tc: Infinity, tw: Infinity, mc: Infinity, mw: Infinity };
      best.set(label, { tc: Math.min(b.tc, t.cpu), tw: Math.min(b.tw, t.wall), mc: Math.min(b.mc, m.cpu), mw: Math.min(b.mw, m.wall) });
    }
  }
  console.log(`low-rank AMG graphs, ViT-B decoder (random weights), ${B} prompts per run, ${THREADS} thread(s), best of ${REPS}, ms per prompt:`);
  for (const [label, b] of best) {
    const f = (v: number) => (v / B).toFixed(2);
    console.log(`  ${label}: tokens CPU ${f(b.tc)} (wall ${f(b.tw)}), masks CPU ${f(b.mc)} (wall ${f(b.mw)}), both CPU ${f(b.tc + b.mc)}`);
  }
}

await main();
