/**
 * The low-rank AMG decoder on worker threads (Node only): each batch's prompts are split into one
 * contiguous share per worker, and the workers (lowrank-worker.mjs) run their shares at the same time,
 * each on its own onnxruntime sessions with one intra-op thread, in runs of a few prompts (promptsPerRun).
 *
 * Why: onnxruntime-node runs a session on the calling thread, so in-process runs go one after another,
 * each spread over the intra-op threads, whose hand-offs between the graphs' many short ops cost CPU
 * (spinning included). Independent prompts need no such hand-offs: a share per thread keeps every core on
 * whole runs. `npm run bench:amg -- --compare-in-thread` times both in one process.
 *
 * The factors the tokens graph returns (about 1.7 MB per prompt) stay in the worker that made them; only
 * points, IoU predictions, chosen prompt indices and mask logits cross threads, and the image embedding
 * once per worker per image. A worker keeps its shares of the latest two batches (for SAM's decoder about
 * 1.7 MB per prompt: some 110 MB per worker at 64 prompts per batch and two workers); a masks request for
 * an older batch scores that share again first (same prompts, same values).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { PREPARED_FOR_TOKENS, TOKENS_OUTPUTS } from "../../builder/decoder/amg-lowrank.ts";
import { RuntimeError } from "../../runtime/backend.ts";
import type { LowResMasks, ScoredBatch } from "../decoder.ts";
import { AmgInputError } from "../errors.ts";
import { fingerprint, type LowRankRunner } from "../lowrank-sessions.ts";
import { singlePointPrompts, type SplitSessions } from "../split-sessions.ts";

export interface LowRankWorkersOptions {
  /** Worker threads (default: the machine's available parallelism). */
  workers?: number;
  /** onnxruntime intra-op threads per worker (default 1). */
  threadsPerWorker?: number;
  /**
   * Most prompts per tokens / masks run inside a worker (default 4 / 1). Smaller runs keep a run's
   * intermediates (about 2 MB per prompt and tensor in the masks graph of SAM's decoder) closer to the cache,
   * so two workers contend less for memory; `npm run bench:amg-workers` times several settings (ViT-B
   * decoder, two workers: 15.9 ms CPU per prompt at 4 / 1 against 18.5 with each share in one run).
   */
  promptsPerRun?: { tokens?: number; masks?: number };
}

interface Reply {
  id: number;
  error?: string;
  iou?: Float32Array;
  lowResMasks?: Float32Array;
  missing?: boolean;
}

/** One worker thread and its pending requests (answered in order). */
class PoolWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;
  /** The image last sent (its data and bits' hash), so that the next batch on it sends none. */
  image: { data: Float32Array; hash: number } | undefined;

  constructor() {
    this.worker = new Worker(new URL("./lowrank-worker.mjs", import.meta.url));
    // Unreferenced while idle, so that a process holding a decoder can still exit.
    this.worker.unref();
    this.worker.on("message", (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.worker.unref();
      if (r.error !== undefined) p.reject(new RuntimeError(`AMG decoder worker: ${r.error}`));
      else p.resolve(r);
    });
    this.worker.on("error", (e) => this.fail(new RuntimeError(`AMG decoder worker failed: ${e.message}`)));
    this.worker.on("exit", (code) => this.fail(new RuntimeError(`AMG decoder worker exited (code ${code})`)));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  call(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.failure ??= new RuntimeError("AMG decoder released");
    await this.worker.terminate();
  }
}

/** `count` prompts as up to `parts` contiguous shares of near-equal size (no empty share). */
export function shares(count: number, parts: number): { start: number; n: number }[] {
  const k = Math.min(count, parts);
  return Array.from({ length: k }, (_, i) => {
    const start = Math.floor((i * count) / k);
    return { start, n: Math.floor(((i + 1) * count) / k) - start };
  });
}

/** A `LowRankRunner` for `createOrtAmgDecoder({ lowRankRunner })`: the graphs run on worker threads. */
export function lowRankWorkers(opts: LowRankWorkersOptions = {}): LowRankRunner {
  const count = opts.workers ?? availableParallelism();
  const threads = opts.threadsPerWorker ?? 1;
  const perRun = { tokens: opts.promptsPerRun?.tokens ?? 4, masks: opts.promptsPerRun?.masks ?? 1 };
  for (const [name, v] of [["workers", count], ["threadsPerWorker", threads], ["promptsPerRun.tokens", perRun.tokens], ["promptsPerRun.masks", perRun.masks]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new AmgInputError(`${name} must be a positive integer, got ${v}`);
  }
  return async (graphs, o) => {
    const workers = Array.from({ length: count }, () => new PoolWorker());
    const release = () => Promise.all(workers.map((w) => w.terminate())).then(() => undefined);
    try {
      await Promise.all(
        workers.map((w) =>
          w.call({
            op: "init",
            graphs,
            options: { graphOptimizationLevel: o.sessionOptions?.graphOptimizationLevel ?? "all", intraOpNumThreads: threads },
            prepared: PREPARED_FOR_TOKENS,
            tokensOutputs: TOKENS_OUTPUTS,
            embeddingShape: [...o.embeddingShape],
            tokensRun: perRun.tokens,
            masksRun: perRun.masks,
          }),
        ),
      );
    } catch (e) {
      await release();
      throw e;
    }
    const [lowResHeight, lowResWidth] = o.lowResSize;
    let batchSeq = 0;

    const sessions: SplitSessions = {
      async score(image, points, total): Promise<ScoredBatch> {
        const batch = batchSeq++;
        const hash = fingerprint(image);
        const { coords, labels } = singlePointPrompts(points, total);
        const parts = shares(total, workers.length);
        // Messages reach a worker in order, so an image sent with one request is there for the next.
        const scoreShare = (w: number) => {
          const worker = workers[w]!;
          const { start, n } = parts[w]!;
          const fresh = worker.image?.data !== image || worker.image.hash !== hash;
          // Copies: structured cloning a view would copy its whole buffer, and transfer would detach it.
          const sent = fresh ? image.slice() : undefined;
          if (fresh) worker.image = { data: image, hash };
          const c = coords.slice(4 * start, 4 * (start + n));
          const l = labels.slice(2 * start, 2 * (start + n));
          return worker.call({ op: "score", batch, image: sent, coords: c, labels: l, count: n }, sent ? [sent.buffer, c.buffer, l.buffer] : [c.buffer, l.buffer]);
        };
        const scored = await Promise.all(parts.map((_, w) => scoreShare(w)));
        const numMasks = scored[0]!.iou!.length / parts[0]!.n;
        const iouPredictions = new Float32Array(total * numMasks);
        scored.forEach((r, w) => iouPredictions.set(r.iou!, parts[w]!.start * numMasks));

        const masksOfShare = async (w: number, local: number[]): Promise<Float32Array> => {
          const r = await workers[w]!.call({ op: "masks", batch, prompts: local });
          if (!r.missing) return r.lowResMasks!;
          if (fingerprint(image) !== hash) throw new AmgInputError("the embedding's buffer changed since this batch was scored");
          await scoreShare(w);
          return (await workers[w]!.call({ op: "masks", batch, prompts: local })).lowResMasks!;
        };
        return {
          numMasks,
          iouPredictions,
          async masksOf(prompts): Promise<LowResMasks> {
            if (!prompts.every((p, i) => Number.isInteger(p) && p >= 0 && p < total && (i === 0 || p > prompts[i - 1]!)))
              throw new AmgInputError(`masksOf takes batch indices in ascending order, none twice, below ${total}`);
            const plane = numMasks * lowResHeight * lowResWidth;
            const lowResMasks = new Float32Array(prompts.length * plane);
            let offset = 0;
            const runs: Promise<void>[] = [];
            parts.forEach(({ start, n }, w) => {
              const local = prompts.filter((p) => p >= start && p < start + n).map((p) => p - start);
              if (local.length === 0) return;
              // Ascending prompts: the shares' answers follow one another in the result.
              const at = offset;
              offset += local.length * plane;
              runs.push(masksOfShare(w, local).then((m) => lowResMasks.set(m, at)));
            });
            await Promise.all(runs);
            return { lowResMasks, lowResHeight, lowResWidth };
          },
        };
      },
      release,
    };
    return sessions;
  };
}
