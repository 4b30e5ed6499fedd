// @ts-check
/*
 * One worker thread of the low-rank AMG decoder pool (lowrank-pool.ts): its own onnxruntime-node sessions
 * of the three graphs (builder/decoder/amg-lowrank.ts), one intra-op thread by default. It keeps the
 * prepared projections of the image it was last sent, and the tokens graph's outputs of its share of the
 * latest batches (as they came out of its runs of at most `tokensRun` prompts), so that a masks request
 * sends only prompt indices, and only IoU predictions and mask logits cross threads; masks run at most
 * `masksRun` prompts at a time. Plain JavaScript so that it starts under any loader (tsx, vitest, node).
 *
 * Messages (each answered by `{ id, ... }` or `{ id, error }`, in order):
 *   { op: "init", graphs: { prepare, tokens, masks }, options, prepared: string[], tokensOutputs: string[], embeddingShape, tokensRun?, masksRun? }
 *   { op: "score", batch, image?: Float32Array, coords, labels, count }  -> { iou: Float32Array }
 *   { op: "masks", batch, prompts: number[] }  -> { lowResMasks: Float32Array } or { missing: true }
 * The pool releases a worker by terminating it (its sessions go with the thread).
 */
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";

/** Scored batches kept per worker: the generator asks for masks right after scoring. */
const KEEP_BATCHES = 2;

/** @type {{ prepare: ort.InferenceSession, tokens: ort.InferenceSession, masks: ort.InferenceSession } | undefined} */
let sessions;
/** @type {{ prepared: string[], tokensOutputs: string[], embeddingShape: number[], tokensRun?: number, masksRun?: number }} */
let spec;
/** @type {Record<string, ort.Tensor> | undefined} */
let prepared;
/** @type {Map<number, { runs: { start: number, count: number, out: Record<string, ort.Tensor> }[], sUp: ort.Tensor }>} */
const batches = new Map();

const f32 = (/** @type {ort.Tensor} */ t) => /** @type {Float32Array} */ (t.data);

/**
 * The rows `[per]` of the given prompts out of `[count, per]`: a view when consecutive, else a copy (as
 * split-sessions.ts pickPrompts, which this plain-JavaScript file cannot import).
 */
function pick(/** @type {Float32Array} */ src, /** @type {number} */ per, /** @type {number[]} */ prompts, /** @type {number} */ count) {
  const first = prompts[0];
  if (prompts.every((p, i) => p === first + i)) {
    return prompts.length === count ? src : src.subarray(first * per, (first + prompts.length) * per);
  }
  const dst = new Float32Array(prompts.length * per);
  prompts.forEach((p, i) => dst.set(src.subarray(p * per, (p + 1) * per), i * per));
  return dst;
}

/** The masks graph on the chosen prompts (indices into one tokens run of `count` prompts). */
async function masksOf(/** @type {Record<string, ort.Tensor>} */ out, /** @type {number} */ count, /** @type {ort.Tensor} */ sUp, /** @type {number[]} */ chosen) {
  if (!sessions) throw new Error("worker not initialised");
  const n = chosen.length;
  const tensor = (/** @type {string} */ name, /** @type {(per: number) => number[]} */ dims) => {
    const src = f32(out[name]);
    const per = src.length / count;
    return new ort.Tensor("float32", pick(src, per, chosen, count), dims(per));
  };
  const hw = out["scale"].dims[1];
  const rank = out["lowrank"].dims[1];
  const masks = out["hyper_in"].dims[1];
  const r = await sessions.masks.run(
    {
      s_up: sUp,
      scale: tensor("scale", () => [n, hw, 1]),
      lowrank: tensor("lowrank", () => [n, rank, hw]),
      mix_up: tensor("mix_up", (per) => [n, rank, per / rank]),
      hyper_in: tensor("hyper_in", (per) => [n, masks, per / masks]),
    },
    ["low_res_masks"],
  );
  return f32(r["low_res_masks"]);
}

/** @param {any} m */
async function handle(m) {
  switch (m.op) {
    case "init": {
      spec = m;
      const open = (/** @type {Uint8Array} */ bytes) => ort.InferenceSession.create(bytes, m.options);
      const [prepare, tokens, masks] = await Promise.all([open(m.graphs.prepare), open(m.graphs.tokens), open(m.graphs.masks)]);
      sessions = { prepare, tokens, masks };
      return {};
    }
    case "score": {
      if (!sessions) throw new Error("worker not initialised");
      if (m.image) {
        prepared = await sessions.prepare.run(
          { image_embeddings: new ort.Tensor("float32", m.image, spec.embeddingShape) },
          [...spec.prepared, "s_up"],
        );
      }
      if (!prepared) throw new Error("score before any image was sent");
      // Runs of at most `tokensRun` prompts, each run's outputs kept as they are (no concatenation).
      const step = spec.tokensRun ?? m.count;
      /** @type {{ start: number, count: number, out: Record<string, ort.Tensor> }[]} */
      const runs = [];
      for (let start = 0; start < m.count; start += step) {
        const count = Math.min(step, m.count - start);
        /** @type {Record<string, ort.Tensor>} */
        const feeds = {
          point_coords: new ort.Tensor("float32", m.coords.subarray(4 * start, 4 * (start + count)), [count, 2, 2]),
          point_labels: new ort.Tensor("float32", m.labels.subarray(2 * start, 2 * (start + count)), [count, 2]),
        };
        for (const name of spec.prepared) feeds[name] = prepared[name];
        const out = await sessions.tokens.run(feeds, spec.tokensOutputs);
        runs.push({ start, count, out });
      }
      const perPrompt = f32(runs[0].out["iou_predictions"]).length / runs[0].count;
      const all = new Float32Array(m.count * perPrompt);
      for (const r of runs) all.set(f32(r.out["iou_predictions"]), r.start * perPrompt);
      batches.set(m.batch, { runs, sUp: prepared["s_up"] });
      for (const key of batches.keys()) if (batches.size > KEEP_BATCHES) batches.delete(key);
      return { result: { iou: all }, transfer: [all.buffer] };
    }
    case "masks": {
      if (!sessions) throw new Error("worker not initialised");
      const b = batches.get(m.batch);
      if (!b) return { result: { missing: true } };
      /** @type {number[]} */
      const prompts = m.prompts;
      /** @type {Float32Array | undefined} */
      let lowResMasks;
      let at = 0;
      for (const run of b.runs) {
        const mine = prompts.filter((p) => p >= run.start && p < run.start + run.count).map((p) => p - run.start);
        const step = spec.masksRun ?? mine.length;
        for (let i = 0; i < mine.length; i += step) {
          const chosen = mine.slice(i, i + step);
          const low = await masksOf(run.out, run.count, b.sUp, chosen);
          const per = low.length / chosen.length;
          if (chosen.length === prompts.length) lowResMasks = low;
          else (lowResMasks ??= new Float32Array(prompts.length * per)).set(low, at * per);
          at += chosen.length;
        }
      }
      const whole = /** @type {Float32Array} */ (lowResMasks);
      // onnxruntime-node's outputs own their buffers (offset 0, exact length): moved, not copied.
      const moved = whole.byteOffset === 0 && whole.byteLength === whole.buffer.byteLength ? whole : whole.slice();
      return { result: { lowResMasks: moved }, transfer: [moved.buffer] };
    }
    default:
      throw new Error(`unknown op ${m.op}`);
  }
}

// Messages are handled one at a time, in arrival order (the pool relies on it).
let queue = Promise.resolve();
parentPort?.on("message", (m) => {
  queue = queue.then(async () => {
    try {
      const { result = {}, transfer = [] } = /** @type {{ result?: object, transfer?: ArrayBuffer[] }} */ (await handle(m));
      parentPort?.postMessage({ id: m.id, ...result }, transfer);
    } catch (e) {
      parentPort?.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  });
});
