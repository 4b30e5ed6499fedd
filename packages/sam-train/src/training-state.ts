import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.ts";
import { CheckpointMismatchError } from "./errors.ts";
import type { AdamW } from "./optimizer.ts";
import { tf } from "./tf/backend.ts";

/*
 * A training loop's resumable state as checkpoint bytes: every trained parameter with its two Adam
 * moments (`p:NAME`, `m:NAME`, `v:NAME`), Adam's step count, and the loop's own metadata, which carries
 * a fingerprint of the run so that another run's checkpoint is refused. Shared by the decoder trainer
 * (train.ts) and the starter's two stages.
 */

export interface TrainingStateMeta {
  fingerprint: string;
  step: number;
  adamT: number;
}

/** The bytes of the current state, in `names` order. */
export function encodeTrainingState<M extends TrainingStateMeta>(
  meta: Omit<M, "adamT">,
  vars: Map<string, tf.Variable>,
  opt: AdamW,
  names: Iterable<string> = vars.keys(),
): Uint8Array {
  return encodeCheckpoint<M>({
    meta: { ...meta, adamT: opt.t } as M,
    tensors: [...names].flatMap((n) => {
      const v = vars.get(n)!;
      return [
        { name: `p:${n}`, shape: v.shape, data: v.dataSync() as Float32Array },
        { name: `m:${n}`, shape: v.shape, data: opt.m.get(n)!.dataSync() as Float32Array },
        { name: `v:${n}`, shape: v.shape, data: opt.v.get(n)!.dataSync() as Float32Array },
      ];
    }),
  });
}

/**
 * Loads saved state into the variables and the optimiser and returns its metadata; refuses (with
 * `mismatch` as the message) a checkpoint of another run, and one that lacks a tensor or has it at
 * another size.
 */
export function restoreTrainingState<M extends TrainingStateMeta>(
  bytes: Uint8Array,
  fingerprint: string,
  vars: Map<string, tf.Variable>,
  opt: AdamW,
  mismatch: string,
): M {
  const ck = decodeCheckpoint<M>(bytes);
  if (ck.meta.fingerprint !== fingerprint) throw new CheckpointMismatchError(mismatch);
  const byName = new Map(ck.tensors.map((t) => [t.name, t]));
  for (const [n, v] of vars) {
    for (const [kind, target] of [
      ["p", v],
      ["m", opt.m.get(n)!],
      ["v", opt.v.get(n)!],
    ] as const) {
      const t = byName.get(`${kind}:${n}`);
      if (!t || t.data.length !== target.size)
        throw new CheckpointMismatchError(`checkpoint lacks ${kind}:${n}`);
      target.assign(tf.tensor(t.data, target.shape));
    }
  }
  opt.t = ck.meta.adamT;
  return ck.meta;
}
