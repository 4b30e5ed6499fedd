/**
 * The sessions of the low-rank AMG decoder (builder/decoder/amg-lowrank.ts), rebuilt from a decoder
 * export's weights: `prepare` runs once per embedding (its outputs are kept for the embedding's next
 * batches), `score` runs the tokens graph on a batch, `masksOf` the masks graph on the chosen prompts'
 * low-rank factors. Checked against the export on the same probe batch as the two-stage pair.
 */
import {
  buildAmgLowRankDecoder,
  PREPARED_FOR_TOKENS,
  TOKENS_OUTPUTS,
  type AmgLowRankDecoder,
} from "../builder/decoder/amg-lowrank.ts";
import type { RtTensor } from "../runtime/backend.ts";
import { float32Data } from "../runtime/backend.ts";
import {
  masksOfPrompts,
  probed,
  rebuildSource,
  singlePointPrompts,
  type RebuildSource,
  type SplitFromExportOptions,
  type SplitSessions,
} from "./split-sessions.ts";

/**
 * Runs the three low-rank graphs for a decoder: `inThisThread` (the backend's sessions, the default), or
 * on worker threads (`lowRankWorkers` from the node entry).
 */
export type LowRankRunner = (graphs: AmgLowRankDecoder, o: SplitFromExportOptions) => Promise<SplitSessions>;

/** FNV-style hash of the embedding's bits: a buffer reused for another image must not get stale projections. */
export function fingerprint(data: Float32Array): number {
  const u = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i]!, 0x01000193);
  return h >>> 0;
}

/** Rebuilds the export in low-rank form, runs it with `runner` and checks it on the probe batch. */
export async function lowRankFromExport(
  o: SplitFromExportOptions,
  source: RebuildSource = rebuildSource(o),
  runner: LowRankRunner = inThisThread,
): Promise<SplitSessions> {
  const graphs = buildAmgLowRankDecoder(source.config, source.weights, { gelu: source.gelu });
  return probed(await runner(graphs, o), o);
}

/** The three graphs as sessions of the options' backend, run in the calling thread. */
export const inThisThread: LowRankRunner = async (graphs, o) => {
  const open = (bytes: Uint8Array, label: string) =>
    o.backend.createSession(bytes, { ...o.sessionOptions, label });
  const [prepare, tokens, masks] = await Promise.all([
    open(graphs.prepare, "decoder (AMG low-rank prepare)"),
    open(graphs.tokens, "decoder (AMG low-rank tokens)"),
    open(graphs.masks, "decoder (AMG low-rank masks)"),
  ]);
  const t = o.backend;
  const shape = [...o.embeddingShape];
  const hw = shape[2]! * shape[3]!;
  let cached: { image: Float32Array; hash: number; out: Record<string, RtTensor> } | undefined;

  async function prepared(image: Float32Array): Promise<Record<string, RtTensor>> {
    const hash = fingerprint(image);
    if (cached?.image === image && cached.hash === hash) return cached.out;
    const out = await prepare.run({ image_embeddings: t.tensor("float32", image, shape) }, [
      ...PREPARED_FOR_TOKENS,
      "s_up",
    ]);
    cached = { image, hash, out };
    return out;
  }

  const sessions: SplitSessions = {
    async score(image, points, count) {
      const shared = await prepared(image);
      const { coords, labels } = singlePointPrompts(points, count);
      const feeds: Record<string, RtTensor> = {
        point_coords: t.tensor("float32", coords, [count, 2, 2]),
        point_labels: t.tensor("float32", labels, [count, 2]),
      };
      for (const name of PREPARED_FOR_TOKENS) feeds[name] = shared[name]!;
      const out = await tokens.run(feeds, TOKENS_OUTPUTS);
      const iou = float32Data(out["iou_predictions"]!, "iou_predictions");
      const hyper = float32Data(out["hyper_in"]!, "hyper_in");
      const scale = float32Data(out["scale"]!, "scale");
      const lowrank = float32Data(out["lowrank"]!, "lowrank");
      const mix = float32Data(out["mix_up"]!, "mix_up");
      const numMasks = iou.length / count;
      const rank = lowrank.length / (count * hw);
      const hyperPer = hyper.length / count;
      const mixPer = mix.length / count;
      return {
        numMasks,
        iouPredictions: iou,
        masksOf: (prompts) =>
          masksOfPrompts(masks, o.lowResSize, prompts, count, (n, pick) => ({
            s_up: shared["s_up"]!,
            scale: t.tensor("float32", pick(scale, hw), [n, hw, 1]),
            lowrank: t.tensor("float32", pick(lowrank, hw * rank), [n, rank, hw]),
            mix_up: t.tensor("float32", pick(mix, mixPer), [n, rank, mixPer / rank]),
            hyper_in: t.tensor("float32", pick(hyper, hyperPer), [n, numMasks, hyperPer / numMasks]),
          })),
      };
    },
    release: async () => {
      cached = undefined;
      await Promise.all([prepare.release(), tokens.release(), masks.release()]);
    },
  };
  return sessions;
};
