import type { Tensor as WTensor, WeightMap } from "@data-engine/sam-core";
import { tf } from "../tf/backend.ts";

/** Parameters by reference name as tfjs tensors (variables while training). */
export type TfParams = Map<string, tf.Tensor>;

export function paramGetter(p: TfParams): (name: string) => tf.Tensor {
  return (name) => {
    const t = p.get(name);
    if (!t) throw new Error(`sam-train: missing parameter ${name}`);
    return t;
  };
}

/** WeightMap -> tfjs tensors (copies; the caller disposes them). */
export function toTfParams(weights: WeightMap, names?: Iterable<string>): TfParams {
  const out: TfParams = new Map();
  for (const name of names ?? weights.keys()) {
    const w = weights.get(name);
    if (!w) throw new Error(`sam-train: weights lack parameter ${name}`);
    out.set(name, tf.tensor(w.data, w.shape, "float32"));
  }
  return out;
}

/** tfjs tensors -> WeightMap (PyTorch layout, as they were imported). */
export function toWeightMap(p: TfParams): WeightMap {
  const out: WeightMap = new Map();
  for (const [name, t] of p) {
    const data = new Float32Array(t.dataSync() as Float32Array);
    out.set(name, { shape: [...t.shape], data } as WTensor);
  }
  return out;
}

export function disposeParams(p: TfParams): void {
  for (const t of p.values()) t.dispose();
}
