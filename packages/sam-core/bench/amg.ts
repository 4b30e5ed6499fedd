/**
 * Automatic mask generation benchmark: `npm run bench:amg` (root) or `npx tsx bench/amg.ts` here.
 *
 * Seconds per image on /work/shared/samples/dog.jpg with the ViT-B-architecture decoder (seeded random
 * weights, built here), split into encoder / decoder / post-processing time, for:
 *   1. a 32x32 grid, no crops, reference thresholds;
 *   2. the same with every filter off (all candidates go through upscaling, RLE and NMS: the worst
 *      case for post-processing; random weights give few masks above the real thresholds);
 *   3. the batched path vs one prompt per run (throughput export at batch 1, and the public export),
 *      same run, same prompts, checked to give the same masks; with the reference thresholds, with an IoU
 *      threshold half the prompts pass, with every filter off, and with only the stability filter on; first, a pixel-level parity check of
 *      every candidate of a 6x6 grid (no filter, no NMS) against the public export;
 *   4. the sa1b preset (32x32 + 2 crop layers, 3072 prompts; `--no-sa1b` skips it).
 * Encoder: a small ViT with ViT-B's output geometry ([1,256,64,64] at 1024) for every crop, because a
 * ViT-B encoder takes tens of seconds per crop on two cores; `--vitb-encoder` uses ViT-B for crop 0.
 * Options: `--only 1,2,3,4`, `--no-split` (batched path without the two-stage rebuild), `--no-lowrank` (two-stage
 * pair instead of the low-rank form), `--compare-pair` (section 3 also runs the two-stage pair, same process),
 * `--workers N` (the batched path's low-rank graphs on N worker threads, `lowRankWorkers`, as the product runs
 * them; default one per core; 0: in this thread),
 * `--compare-in-thread` (with `--workers`, section 3 also runs the low-rank graphs in this thread, same process),
 * `--grid N` (default 32), `--ratio-grid N` (default 12), `--reps N` (section 3 rounds, default 3), `--threads N`, `--no-sa1b`,
 * `--sa1b-open` (also run 4 with the filters off), `--large` / `--large-only` (5: 4000x3000 memory check).
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { cropEncoder } from "../src/amg/crop-encoder.ts";
import { generateMasks } from "../src/amg/generate.ts";
import type { AmgDecoder } from "../src/amg/decoder.ts";
import type { AmgOptions } from "../src/amg/options.ts";
import { amgPreset } from "../src/amg/options.ts";
import { createOrtAmgDecoder } from "../src/amg/ort-decoder.ts";
import { buildPointGrid } from "../src/amg/point-grids.ts";
import type { AmgResult } from "../src/amg/records.ts";
import { buildDecoderOnnx, buildEncoderOnnx, initDecoderWeights, samConfig } from "../src/builder/index.ts";
import type { EncoderConfig } from "../src/builder/index.ts";
import type { SamEmbedding } from "../src/embedding/embedding.ts";
import type { BinaryMask, Box } from "../src/mask/types.ts";
import { SamPredictor } from "../src/predictor/index.ts";
import { createNodeBackend, decodeImage, lowRankWorkers } from "../src/node.ts";

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const num = (name: string, def: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const GRID = num("--grid", 32);
const RATIO_GRID = num("--ratio-grid", 12);
/** Section 3: alternating rounds per case; each path's fastest run is reported. */
const REPS = num("--reps", 3);
/** `--only 1,3`: run only these sections (1-4). */
const ONLY = argv.includes("--only") ? new Set(argv[argv.indexOf("--only") + 1]!.split(",").map(Number)) : undefined;
const section = (n: number) => !ONLY || ONLY.has(n);
const THREADS = num("--threads", Number(process.env.SAM_BENCH_THREADS ?? availableParallelism()));
/**
 * `--workers N`: the batched path's low-rank graphs on N worker threads (lowRankWorkers, as the product
 * runs them; default: one per core); `--workers 0`: in this thread, on `--threads` intra-op threads.
 */
const WORKERS = num("--workers", availableParallelism());

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;

/**
 * Process CPU time spent inside the encoder and decoder calls, and in total, so the post-processing share
 * can also be read as CPU work (wall time on a shared machine mixes in other processes' load).
 */
const cpu = { encode: 0, decode: 0, score: 0, masks: 0 };
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function cpuTimed<A extends unknown[], R>(keys: "encode" | "decode" | ["decode", "score" | "masks"], f: (...a: A) => Promise<R>): (...a: A) => Promise<R> {
  return async (...a: A) => {
    const t = cpuNow();
    try {
      return await f(...a);
    } finally {
      for (const key of typeof keys === "string" ? [keys] : keys) cpu[key] += cpuNow() - t;
    }
  };
}
async function measured(
  f: () => Promise<AmgResult>,
): Promise<AmgResult & { cpu: { encode: number; decode: number; score: number; masks: number; total: number } }> {
  Object.assign(cpu, { encode: 0, decode: 0, score: 0, masks: 0 });
  const t = cpuNow();
  const r = await f();
  return { ...r, cpu: { ...cpu, total: cpuNow() - t } };
}

function report(label: string, r: AmgResult & { cpu?: { encode: number; decode: number; total: number } }): void {
  const t = r.timings;
  const c = r.cpu;
  const post = c ? c.total - c.encode - c.decode : 0;
  console.log(
    `  ${label}\n` +
      (c
        ? `    CPU: total ${s(c.total)} = encoder ${s(c.encode)} + decoder ${s(c.decode)} + post-processing ${s(post)} (post ${pct(post, c.total)} of total CPU)\n`
        : "") +
      `    wall: total ${s(t.totalMs)} = encoder ${s(t.encodeMs)} + decoder ${s(t.decodeMs)} + post-processing ${s(t.postprocessMs)}` +
      ` (post ${pct(t.postprocessMs, t.totalMs)} of total, ${pct(t.postprocessMs, t.totalMs - t.encodeMs)} of decode+post)\n` +
      `    ${r.stats.prompts} prompts in ${r.stats.decoderRuns} decoder runs over ${r.stats.crops} crop(s), masks decoded for ${r.stats.maskPrompts} prompt(s); candidates ${r.stats.candidates}` +
      ` -> IoU ${r.stats.afterIou} -> stability ${r.stats.afterStability} -> crop edge ${r.stats.afterCropEdge}` +
      ` -> per-crop NMS ${r.stats.afterCropNms} -> output ${r.stats.output}` +
      (r.stats.redecoded ? `; ${r.stats.redecoded} NMS survivor(s) decoded again (past the kept-logits budget)` : ""),
  );
}

function sameMasks(a: AmgResult, b: AmgResult): boolean {
  if (a.masks.length !== b.masks.length) return false;
  return a.masks.every((m, i) => {
    const n = b.masks[i]!;
    return JSON.stringify(m.segmentation) === JSON.stringify(n.segmentation) && Math.abs(m.predicted_iou - n.predicted_iou) < 1e-5;
  });
}

/** What differs between two mask sets (count, masks with other pixels, largest predicted-IoU/stability gap). */
function maskDifferences(a: AmgResult, b: AmgResult): string {
  if (a.masks.length !== b.masks.length) return `different mask counts: ${a.masks.length} vs ${b.masks.length}`;
  let pixels = 0;
  let iou = 0;
  let stability = 0;
  a.masks.forEach((m, i) => {
    const n = b.masks[i]!;
    if (JSON.stringify(m.segmentation) !== JSON.stringify(n.segmentation)) pixels++;
    iou = Math.max(iou, Math.abs(m.predicted_iou - n.predicted_iou));
    stability = Math.max(stability, Math.abs(m.stability_score - n.stability_score));
  });
  return `${pixels} of ${a.masks.length} masks differ in pixels; largest predicted-IoU gap ${iou.toExponential(2)}, stability gap ${stability.toExponential(2)}`;
}

/** Largest |difference| of the low-res logits of an n x n point grid, `a` batched, `b` one prompt per run. */
async function lowResGap(a: AmgDecoder, b: AmgDecoder, e: SamEmbedding, n: number): Promise<number> {
  const scale = e.inputSize / Math.max(e.originalSize[0], e.originalSize[1]);
  const points = new Float32Array(2 * n * n);
  for (let i = 0; i < n * n; i++) {
    points[2 * i] = (((i % n) + 0.5) / n) * e.originalSize[1] * scale;
    points[2 * i + 1] = ((Math.floor(i / n) + 0.5) / n) * e.originalSize[0] * scale;
  }
  const all = await a.decodeBatch(e, points, n * n);
  const per = all.lowResMasks.length / (n * n);
  let gap = 0;
  for (let i = 0; i < n * n; i++) {
    const one = await b.decodeBatch(e, points.subarray(2 * i, 2 * i + 2), 1);
    for (let j = 0; j < per; j++) gap = Math.max(gap, Math.abs(one.lowResMasks[j]! - all.lowResMasks[i * per + j]!));
  }
  return gap;
}

/** Pixel-level comparison of two binary-mask results of the same prompts (same order expected). */
function pixelDifferences(a: AmgResult, b: AmgResult): string {
  if (a.masks.length !== b.masks.length) return `different mask counts: ${a.masks.length} vs ${b.masks.length}`;
  let masks = 0;
  let pixels = 0;
  let total = 0;
  let iou = 0;
  let stability = 0;
  a.masks.forEach((m, i) => {
    const n = b.masks[i]!;
    const x = (m.segmentation as BinaryMask).data;
    const y = (n.segmentation as BinaryMask).data;
    let d = 0;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) d++;
    if (d > 0) masks++;
    pixels += d;
    total += x.length;
    iou = Math.max(iou, Math.abs(m.predicted_iou - n.predicted_iou));
    stability = Math.max(stability, Math.abs(m.stability_score - n.stability_score));
  });
  return (
    `${a.masks.length} masks; ${masks} differ, ${pixels} of ${total} pixels in all; ` +
    `largest predicted-IoU gap ${iou.toExponential(2)}, stability-score gap ${stability.toExponential(2)}`
  );
}

/**
 * Memory check on a 4000x3000 image with one crop layer: a synthetic decoder (blobs of every size, up to
 * the whole image, no model cost) so only post-processing runs; reports time and peak memory.
 */
async function largeImageCheck(): Promise<void> {
  const H = 3000;
  const W = 4000;
  const L = 256;
  const decoder: AmgDecoder = {
    maxBatch: 64,
    async decodeBatch(e, pts, n) {
      const iou = new Float32Array(n * 4).fill(0.95);
      const low = new Float32Array(n * 4 * L * L);
      for (let i = 0; i < n; i++) {
        const px = (pts[2 * i]! * L) / e.inputSize;
        const py = (pts[2 * i + 1]! * L) / e.inputSize;
        for (let t = 0; t < 4; t++) {
          const radius = [4, 12, 40, 200][t]!;
          const base = (i * 4 + t) * L * L;
          for (let v = 0; v < L; v++) for (let u = 0; u < L; u++) low[base + v * L + u] = 3 * (radius - Math.hypot(u - px, v - py));
        }
      }
      return { numMasks: 4, iouPredictions: iou, lowResMasks: low, lowResHeight: L, lowResWidth: L };
    },
  };
  const encodeCrop = async (box: Box): Promise<SamEmbedding> => ({
    data: new Float32Array(256 * 64 * 64),
    shape: [1, 256, 64, 64],
    originalSize: [box[3] - box[1], box[2] - box[0]],
    inputSize: 1024,
    modelId: "",
  });
  let peakRss = 0;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
  const timer = setInterval(sample, 20);
  const before = process.memoryUsage().rss;
  const r = await generateMasks(
    { height: H, width: W, decoder, encodeCrop, onProgress: sample },
    { pointsPerSide: 8, cropNLayers: 1, boxNmsThresh: 1, cropNmsThresh: 1, outputMode: "coco_rle" },
  );
  clearInterval(timer);
  sample();
  const fullMask = (H * W) / 2 ** 20;
  console.log(`\n5. memory: ${W}x${H} image, 1 crop layer, 8x8 grid, synthetic decoder (no model cost), every candidate kept`);
  report("batched", r);
  console.log(
    `    peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB (${(before / 2 ** 20).toFixed(0)} MiB before) for ${r.masks.length} masks; ` +
      `holding them as full-resolution bytes would take ${((r.masks.length * fullMask) / 1024).toFixed(1)} GiB`,
  );
}

async function main(): Promise<void> {
  if (flag("--large-only")) return largeImageCheck();
  const bytes = new Uint8Array(readFileSync("/work/shared/samples/dog.jpg"));
  const image = await decodeImage(bytes);
  console.log(`amg bench: dog.jpg ${image.width}x${image.height}, onnxruntime-node, ${THREADS} thread(s)`);

  const cfg = samConfig("vit_b");
  const weights = initDecoderWeights(cfg.decoder, 1);
  const backend = createNodeBackend();
  const sessionOptions = { threads: THREADS };
  const publicModel = buildDecoderOnnx(cfg.decoder, weights, { variant: "public" }).model;
  const throughputModel = buildDecoderOnnx(cfg.decoder, weights, { variant: "throughput" }).model;
  // `--no-split`: the throughput export as given (one graph, every prompt's masks decoded).
  const split = !flag("--no-split");
  const lowRankRunner = WORKERS > 0 ? lowRankWorkers({ workers: WORKERS }) : undefined;
  const batched = await createOrtAmgDecoder({ backend, decoder: throughputModel, sessionOptions, split, lowRank: !flag("--no-lowrank"), lowRankRunner });
  const inThread = flag("--compare-in-thread") && lowRankRunner ? await createOrtAmgDecoder({ backend, decoder: throughputModel, sessionOptions, split, lowRank: !flag("--no-lowrank") }) : undefined;
  console.log(`batched decoder: ${batched.split.used ? `${batched.split.form} rebuild` : "export as given"} (${batched.split.reason})`);
  const pair = flag("--compare-pair") ? await createOrtAmgDecoder({ backend, decoder: throughputModel, sessionOptions, lowRank: false }) : undefined;
  // The one-prompt-per-run baselines run the exports as given: one full decoder run per prompt.
  const batch1 = await createOrtAmgDecoder({ backend, decoder: throughputModel, sessionOptions, maxBatch: 1, split: false });
  const single = await createOrtAmgDecoder({ backend, decoder: publicModel, sessionOptions });

  const small: EncoderConfig = { ...cfg.encoder, embedDim: 96, depth: 2, numHeads: 3, globalAttnIndexes: [1] };
  const smallEncoder = await SamPredictor.create({ backend, decoder: publicModel, encoder: buildEncoderOnnx(small, { seed: 3 }).model, sessionOptions });
  const vitbEncoder = flag("--vitb-encoder")
    ? await SamPredictor.create({ backend, decoder: publicModel, encoder: buildEncoderOnnx(cfg.encoder, { seed: 3 }).model, sessionOptions })
    : undefined;
  console.log(
    `decoder: ViT-B architecture (256-dim, 64x64 embedding, 1024 input), random weights; encoder: ` +
      (vitbEncoder ? "ViT-B for the full image, " : "") +
      `small ViT (dim ${small.embedDim}, depth ${small.depth}, same [1,256,64,64] output) for ${vitbEncoder ? "the crops" : "every crop, full image included"}`,
  );
  const encodeSmall = cropEncoder(image, (crop) => smallEncoder.setImage(crop));
  const encodeCrop = (box: Box): Promise<SamEmbedding> =>
    vitbEncoder && box[0] === 0 && box[1] === 0 && box[2] === image.width && box[3] === image.height
      ? vitbEncoder.setImage(image)
      : encodeSmall(box);
  const timedEncode = cpuTimed("encode", encodeCrop);
  const timedDecoders = new Map<AmgDecoder, AmgDecoder>();
  const timed = (d: AmgDecoder): AmgDecoder => {
    if (!timedDecoders.has(d)) {
      const scoreBatch = d.scoreBatch?.bind(d);
      timedDecoders.set(d, {
        maxBatch: d.maxBatch,
        decodeBatch: cpuTimed("decode", d.decodeBatch.bind(d)),
        // Both stages count as decoder time.
        scoreBatch: scoreBatch
          ? cpuTimed(["decode", "score"], async (e: SamEmbedding, p: Float32Array, n: number) => {
              const scored = await scoreBatch(e, p, n);
              return { ...scored, masksOf: cpuTimed(["decode", "masks"], scored.masksOf.bind(scored)) };
            })
          : undefined,
      });
    }
    return timedDecoders.get(d)!;
  };
  const run = (decoder: AmgDecoder, options: AmgOptions) =>
    measured(() => generateMasks({ height: image.height, width: image.width, decoder: timed(decoder), encodeCrop: timedEncode }, options));

  // Warm-up of every decoder with a full batch of 64 prompts whose masks are all decoded: session init,
  // and onnxruntime's memory arena grown to its working size (growing it costs page faults on first use),
  // as it is in a worker that has processed one image.
  const warm: AmgOptions = { pointsPerSide: 8, predIouThresh: 0, stabilityScoreThresh: 0, outputMode: "coco_rle" };
  for (const d of [batched, pair, inThread, batch1, single]) if (d) await run(d, warm);

  if (section(1)) {
    console.log(`\n1. ${GRID}x${GRID} grid, no crops, reference thresholds (0.88 / 0.95), batched (64 per run)`);
    report("batched", await run(batched, { pointsPerSide: GRID, outputMode: "coco_rle" }));
  }

  const open: AmgOptions = { predIouThresh: 0, stabilityScoreThresh: 0, outputMode: "coco_rle" };
  if (section(2)) {
    console.log(`\n2. ${GRID}x${GRID} grid, no crops, all filters off (worst case for post-processing), batched`);
    report("batched", await run(batched, { ...open, pointsPerSide: GRID }));
  }

  if (section(3)) {
    // Every candidate of a small grid kept (no filter, no NMS) and compared pixel by pixel: the batched
    // decoder's reassociated arithmetic against the public export, one prompt per run.
    const every: AmgOptions = { ...open, boxNmsThresh: 1, pointsPerSide: 6, outputMode: "binary_mask" };
    const [pb, pp] = [await run(batched, every), await run(single, every)];
    console.log(`\n3. parity, 6x6 grid, every candidate kept (no filter, no NMS), binary masks: batched vs public export\n  ${pixelDifferences(pb, pp)}`);
    // A full-resolution logit is a convex combination of low-res logits, so a pixel can only differ where
    // both decoders' upscaled logits lie within the largest low-res gap of a threshold.
    const embedding = await encodeCrop([0, 0, image.width, image.height]);
    console.log(`  largest low-res logit gap to the public export over the same 36 prompts: ${(await lowResGap(batched, single, embedding, 6)).toExponential(2)}`);
    if (pair) {
      console.log(`  pair rebuild: ${pixelDifferences(await run(pair, every), pp)}; low-res gap ${(await lowResGap(pair, single, embedding, 6)).toExponential(2)}`);
    }
    // With the reference thresholds (the two-stage decoder then decodes masks only for prompts with a
    // token above the IoU threshold; the count is printed, and it depends on the random weights), with
    // every filter off (every prompt's masks decoded and post-processed), and with only the stability
    // filter (every mask decoded and scored; with random weights none passes).
    // The random decoder's IoU predictions sit near 0, so with the reference thresholds no prompt's
    // masks are decoded. A second copy of the same weights with the IoU head's output bias raised so
    // that half the grid's prompts have a token above 0.88 shows the case in between (the random masks
    // then fail the stability filter, so post-processing stays small).
    const median = await medianBestIou(batched, embedding, image.width, image.height, RATIO_GRID);
    const shift = 0.88 - median;
    const shifted = new Map(weights);
    const biasName = `mask_decoder.iou_prediction_head.layers.${cfg.decoder.iouHeadDepth - 1}.bias`;
    const bias = weights.get(biasName)!;
    shifted.set(biasName, { shape: bias.shape, data: bias.data.map((v) => v + shift) });
    const half = {
      batched: await createOrtAmgDecoder({ backend, decoder: buildDecoderOnnx(cfg.decoder, shifted, { variant: "throughput" }).model, sessionOptions, split, lowRank: !flag("--no-lowrank"), lowRankRunner }),
      batch1: await createOrtAmgDecoder({ backend, decoder: buildDecoderOnnx(cfg.decoder, shifted, { variant: "throughput" }).model, sessionOptions, maxBatch: 1, split: false }),
      single: await createOrtAmgDecoder({ backend, decoder: buildDecoderOnnx(cfg.decoder, shifted, { variant: "public" }).model, sessionOptions }),
    };
    // Warm-up, as for the first decoders: session init and first-run allocations are not measured.
    for (const d of Object.values(half)) await run(d, warm);
    const mine = { batched, batch1, single };
    for (const [label, o3, d3] of [
      ["reference thresholds (0.88 / 0.95)", { pointsPerSide: RATIO_GRID, outputMode: "coco_rle" }, mine],
      [`reference thresholds, IoU head's output bias raised by ${shift.toFixed(4)} (half the prompts pass 0.88)`, { pointsPerSide: RATIO_GRID, outputMode: "coco_rle" }, half],
      ["all filters off", { ...open, pointsPerSide: RATIO_GRID }, mine],
      // Every mask decoded and scored, then dropped by the stability filter (no mask is built).
      ["IoU filter off, stability 0.95", { predIouThresh: 0, outputMode: "coco_rle", pointsPerSide: RATIO_GRID }, mine],
    ] as [string, AmgOptions, typeof mine][]) {
      console.log(`\n3. batched vs one prompt per run, ${RATIO_GRID}x${RATIO_GRID} grid, no crops, ${label} (fastest of ${REPS} alternating runs per path)`);
      // REPS alternating rounds; each path keeps its fastest run (least decode+post CPU). Single runs on
      // this shared VM varied up to 2x from one to the next, on an otherwise idle machine.
      type Measured = Awaited<ReturnType<typeof run>>;
      const best = (a: Measured | undefined, b: Measured) =>
        !a || b.cpu.total - b.cpu.encode < a.cpu.total - a.cpu.encode ? b : a;
      let rb: Measured | undefined;
      let rPair: Measured | undefined;
      let rThread: Measured | undefined;
      let r1: Measured | undefined;
      let rp: Measured | undefined;
      for (let rep = 0; rep < REPS; rep++) {
        rb = best(rb, await run(d3.batched, o3));
        if (pair && d3 === mine) rPair = best(rPair, await run(pair, o3));
        if (inThread && d3 === mine) rThread = best(rThread, await run(inThread, o3));
        r1 = best(r1, await run(d3.batch1, o3));
        rp = best(rp, await run(d3.single, o3));
      }
      if (!rb || !r1 || !rp) throw new Error("--reps must be at least 1");
      report(`batched: throughput export${d3.batched.split.used ? ` (${d3.batched.split.form} rebuild)` : ""}, 64 prompts per run${lowRankRunner ? `, split across ${WORKERS} worker threads` : ""}`, rb);
      if (rPair) report("batched: throughput export (pair rebuild), 64 prompts per run", rPair);
      if (rThread) report("batched: throughput export (low-rank rebuild), in this thread", rThread);
      report("one prompt per run: throughput export at batch 1", r1);
      report("one prompt per run: public export (orig_im_size kept small, low-res logits used)", rp);
      const work = (r: AmgResult) => r.timings.totalMs - r.timings.encodeMs;
      const cpuWork = (r: typeof rb) => r.cpu.total - r.cpu.encode;
      console.log(
        `  same masks: ${sameMasks(rb, r1) && sameMasks(rb, rp)} (${rb.masks.length} masks); masks decoded for ${rb.stats.maskPrompts} of ${rb.stats.prompts} prompts\n` +
          `  speed-up of batching, CPU time (decode+post): ${(cpuWork(r1) / cpuWork(rb)).toFixed(2)}x vs batch-1 throughput, ` +
          `${(cpuWork(rp) / cpuWork(rb)).toFixed(2)}x vs public export (decoder alone: ${(r1.cpu.decode / rb.cpu.decode).toFixed(2)}x / ` +
          `${(rp.cpu.decode / rb.cpu.decode).toFixed(2)}x)\n` +
          `  speed-up of batching, wall time (decode+post): ${(work(r1) / work(rb)).toFixed(2)}x vs batch-1 throughput, ` +
          `${(work(rp) / work(rb)).toFixed(2)}x vs public export (decoder alone: ${(r1.timings.decodeMs / rb.timings.decodeMs).toFixed(2)}x / ` +
          `${(rp.timings.decodeMs / rb.timings.decodeMs).toFixed(2)}x)`,
      );
      if (rb.stats.maskPrompts > 0 || rb.cpu.score > 0) {
        // The two stages of the batched decoder per prompt (IoU for every prompt, masks for the chosen ones).
        const perPrompt = (ms: number, n: number) => (n > 0 ? `${(ms / n).toFixed(1)} ms` : "-");
        console.log(
          `  batched decoder CPU per prompt: IoU stage ${perPrompt(rb.cpu.score, rb.stats.prompts)}, masks ${perPrompt(rb.cpu.masks, rb.stats.maskPrompts)}; ` +
            `public export ${perPrompt(rp.cpu.decode, rp.stats.prompts)} per run`,
        );
      }
      if (!sameMasks(rb, rp)) console.log(`  ${maskDifferences(rb, rp)}`);
      if (rPair) {
        console.log(
          `  pair rebuild: same masks ${sameMasks(rPair, rp)}; CPU (decode+post) ${(cpuWork(rp) / cpuWork(rPair)).toFixed(2)}x vs public export ` +
            `(decoder alone ${(rp.cpu.decode / rPair.cpu.decode).toFixed(2)}x); low-rank vs pair: ${(cpuWork(rPair) / cpuWork(rb)).toFixed(2)}x ` +
            `(decoder alone ${(rPair.cpu.decode / rb.cpu.decode).toFixed(2)}x)`,
        );
      }
      if (rThread) {
        console.log(
          `  worker threads vs this thread: same masks ${sameMasks(rThread, rb)}; CPU (decode+post) ${(cpuWork(rThread) / cpuWork(rb)).toFixed(2)}x, ` +
            `wall ${(work(rThread) / work(rb)).toFixed(2)}x; in this thread vs public export: CPU ${(cpuWork(rp) / cpuWork(rThread)).toFixed(2)}x, wall ${(work(rp) / work(rThread)).toFixed(2)}x`,
        );
      }
    }
    await Promise.all([half.batched.release(), half.batch1.release(), half.single.release()]);
  }

  if (!flag("--no-sa1b") && section(4)) {
    console.log(`\n4. sa1b preset (${GRID}x${GRID} + 2 crop layers, 0.88 / 0.95, min region 100, 95% cap), batched`);
    report("batched", await run(batched, amgPreset("sa1b", { pointsPerSide: GRID })));
    if (flag("--sa1b-open")) {
      console.log(`\n4b. sa1b preset with the IoU/stability filters off (worst case for post-processing), batched`);
      report("batched", await run(batched, amgPreset("sa1b", { pointsPerSide: GRID, predIouThresh: 0, stabilityScoreThresh: 0 })));
    }
  }
  await Promise.all([batched.release(), pair?.release(), inThread?.release(), batch1.release(), single.release(), smallEncoder.release(), vitbEncoder?.release()]);
  if (flag("--large")) await largeImageCheck();
}

/** The median over the grid's prompts of their best ambiguity-token IoU prediction (tokens 1..3). */
async function medianBestIou(decoder: AmgDecoder, embedding: SamEmbedding, width: number, height: number, n: number): Promise<number> {
  const grid = buildPointGrid(n);
  const scale = embedding.inputSize / Math.max(width, height);
  const count = n * n;
  const points = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    points[2 * i] = grid[2 * i]! * width * scale;
    points[2 * i + 1] = grid[2 * i + 1]! * height * scale;
  }
  const best: number[] = [];
  for (let s = 0; s < count; s += decoder.maxBatch) {
    const k = Math.min(decoder.maxBatch, count - s);
    const chunk = points.subarray(2 * s, 2 * (s + k));
    const r = decoder.scoreBatch ? await decoder.scoreBatch(embedding, chunk, k) : await decoder.decodeBatch(embedding, chunk, k);
    const m = r.numMasks;
    for (let i = 0; i < k; i++) best.push(Math.max(...Array.from({ length: m - 1 }, (_, t) => r.iouPredictions[i * m + t + 1]!)));
  }
  best.sort((a, b) => a - b);
  // Just below the median value, so that the upper half passes the strict `>` filter.
  return Math.fround(best[Math.floor(count / 2)]! - 1e-7);
}

await main();
