/**
 * The low-rank AMG decoder on worker threads (lowRankWorkers) with several `promptsPerRun` settings, in one
 * process: CPU and wall ms per prompt of three batches of 48 single-point prompts (each scored, then every
 * prompt's masks asked for) on the ViT-B-architecture decoder (seeded random weights), the best of
 * `--reps` rounds (default 5, the first one a warm-up), settings alternating within each round. Every
 * setting must give the same logits. Chooses the default `promptsPerRun` (amg/node/lowrank-pool.ts).
 *
 *   npx tsx bench/amg-workers.ts [--workers N] [--reps N]
 */
import { availableParallelism } from "node:os";
import { createOrtAmgDecoder, type OrtAmgDecoder } from "../src/amg/ort-decoder.ts";
import { buildDecoderOnnx, initDecoderWeights, samConfig } from "../src/builder/index.ts";
import type { SamEmbedding } from "../src/embedding/embedding.ts";
import { createNodeBackend, lowRankWorkers } from "../src/node.ts";

const argv = process.argv.slice(2);
const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const WORKERS = Number(arg("--workers") ?? availableParallelism());
const REPS = Number(arg("--reps") ?? 5);
const BATCH = 48;
const BATCHES = 3;

const SETTINGS: [string, { tokens: number; masks: number }][] = [
  ["whole shares", { tokens: 1 << 16, masks: 1 << 16 }],
  ["tokens 8, masks 1", { tokens: 8, masks: 1 }],
  ["tokens 4, masks 1 (default)", { tokens: 4, masks: 1 }],
  ["tokens 4, masks 2", { tokens: 4, masks: 2 }],
  ["tokens 2, masks 1", { tokens: 2, masks: 1 }],
  ["tokens 1, masks 1", { tokens: 1, masks: 1 }],
];

const cfg = samConfig("vit_b");
const model = buildDecoderOnnx(cfg.decoder, initDecoderWeights(cfg.decoder, 1), { variant: "throughput" }).model;
const backend = createNodeBackend();
const side = cfg.decoder.embeddingSize;
const d = cfg.decoder.transformerDim;
const S = cfg.decoder.inputSize;
const embedding: SamEmbedding = {
  data: Float32Array.from({ length: d * side * side }, (_, i) => Math.sin(i * 0.37)),
  shape: [1, d, side, side],
  originalSize: [S, S],
  inputSize: S,
  modelId: "",
};
const points = Float32Array.from({ length: 2 * BATCH * BATCHES }, (_, i) => 50 + ((i * 97) % (S - 100)));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function round(decoder: OrtAmgDecoder): Promise<{ cpu: number; wall: number; logits: Float32Array[] }> {
  const c0 = cpuMs();
  const t0 = performance.now();
  const logits: Float32Array[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const scored = await decoder.scoreBatch!(embedding, points.subarray(2 * BATCH * b, 2 * BATCH * (b + 1)), BATCH);
    logits.push((await scored.masksOf(Array.from({ length: BATCH }, (_, i) => i))).lowResMasks);
  }
  const n = BATCH * BATCHES;
  return { cpu: (cpuMs() - c0) / n, wall: (performance.now() - t0) / n, logits };
}

const decoders: [string, OrtAmgDecoder][] = [];
for (const [label, promptsPerRun] of SETTINGS) {
  decoders.push([label, await createOrtAmgDecoder({ backend, decoder: model, lowRankRunner: lowRankWorkers({ workers: WORKERS, promptsPerRun }) })]);
}
const best = new Map<string, { cpu: number; wall: number }>();
let reference: Float32Array[] | undefined;
for (let r = 0; r < REPS; r++) {
  for (const [label, decoder] of decoders) {
    const m = await round(decoder);
    reference ??= m.logits;
    const gap = m.logits.reduce((g, l, b) => l.reduce((x, v, i) => Math.max(x, Math.abs(v - reference![b]![i]!)), g), 0);
    if (!(gap <= 1e-3)) throw new Error(`${label}: logits differ from the first setting's by ${gap}`);
    if (r === 0) continue; // warm-up round
    const o = best.get(label) ?? { cpu: Infinity, wall: Infinity };
    best.set(label, { cpu: Math.min(o.cpu, m.cpu), wall: Math.min(o.wall, m.wall) });
  }
}
console.log(`low-rank AMG decoder on ${WORKERS} worker thread(s), ViT-B decoder (random weights), ${BATCHES} batches of ${BATCH}, best of ${REPS - 1} rounds, ms per prompt:`);
for (const [label, b] of best) console.log(`  ${label}: CPU ${b.cpu.toFixed(2)} (wall ${b.wall.toFixed(2)})`);
await Promise.all(decoders.map(([, dec]) => dec.release()));
