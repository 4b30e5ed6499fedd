import { SamBuilderError } from "./errors.ts";
import { normalTensor, uniformTensor } from "./random.ts";

/** One parameter in PyTorch layout (Linear weights [out, in], Conv [out, in, kh, kw], ConvTranspose [in, out, kh, kw]). */
export interface Tensor {
  shape: number[];
  data: Float32Array<ArrayBuffer>;
}

/** Parameters keyed by the reference names of segment-anything's `Sam` module. */
export type WeightMap = Map<string, Tensor>;

/** How a parameter is initialised, mimicking PyTorch's defaults for the owning module. */
export type InitKind =
  | { kind: "kaiming"; fanIn: number }
  | { kind: "bias"; fanIn: number }
  | { kind: "ones" }
  | { kind: "zeros" }
  | { kind: "normal"; std: number };

/** A reference parameter: name, PyTorch shape, role (how layouts differ in exports), init. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** `linear` weights are the ones torch.onnx stores transposed for MatMul. */
  role: "linear" | "other";
  init: InitKind;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function linearParams(prefix: string, inDim: number, outDim: number): ParamSpec[] {
  return [
    {
      name: `${prefix}.weight`,
      shape: [outDim, inDim],
      role: "linear",
      init: { kind: "kaiming", fanIn: inDim },
    },
    { name: `${prefix}.bias`, shape: [outDim], role: "other", init: { kind: "bias", fanIn: inDim } },
  ];
}

export function layerNormParams(prefix: string, dim: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [dim], role: "other", init: { kind: "ones" } },
    { name: `${prefix}.bias`, shape: [dim], role: "other", init: { kind: "zeros" } },
  ];
}

/** Conv2d: fan_in = in * k * k. */
export function convParams(prefix: string, inC: number, outC: number, k: number, bias = true): ParamSpec[] {
  const fanIn = inC * k * k;
  const w: ParamSpec = {
    name: `${prefix}.weight`,
    shape: [outC, inC, k, k],
    role: "other",
    init: { kind: "kaiming", fanIn },
  };
  return bias
    ? [w, { name: `${prefix}.bias`, shape: [outC], role: "other", init: { kind: "bias", fanIn } }]
    : [w];
}

/** ConvTranspose2d: weight [in, out, k, k]; PyTorch computes fan_in from dim 1, i.e. out * k * k. */
export function convTransposeParams(prefix: string, inC: number, outC: number, k: number): ParamSpec[] {
  const fanIn = outC * k * k;
  return [
    { name: `${prefix}.weight`, shape: [inC, outC, k, k], role: "other", init: { kind: "kaiming", fanIn } },
    { name: `${prefix}.bias`, shape: [outC], role: "other", init: { kind: "bias", fanIn } },
  ];
}

/**
 * Materialises parameters. kaiming_uniform(a = sqrt 5) has bound sqrt(6 / ((1 + 5) fan_in)) = 1 / sqrt(fan_in),
 * the same bound PyTorch uses for the bias.
 */
export function initParams(specs: readonly ParamSpec[], seed: number): WeightMap {
  const out: WeightMap = new Map();
  for (const p of specs) {
    const n = numel(p.shape);
    let data: Float32Array<ArrayBuffer>;
    switch (p.init.kind) {
      case "kaiming":
      case "bias":
        data = uniformTensor(seed, p.name, n, 1 / Math.sqrt(p.init.fanIn));
        break;
      case "ones":
        data = new Float32Array(n).fill(1);
        break;
      case "zeros":
        data = new Float32Array(n);
        break;
      case "normal":
        data = normalTensor(seed, p.name, n, p.init.std);
        break;
    }
    out.set(p.name, { shape: [...p.shape], data });
  }
  return out;
}

/** Checks that `weights` holds every spec with the right shape (extra entries are allowed). */
export function checkWeights(specs: readonly ParamSpec[], weights: WeightMap, what: string): void {
  for (const p of specs) {
    const t = weights.get(p.name);
    if (!t) throw new SamBuilderError(`${what}: missing parameter ${p.name} [${p.shape}]`);
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      throw new SamBuilderError(`${what}: parameter ${p.name} has shape [${t.shape}], expected [${p.shape}]`);
    }
    if (t.data.length !== numel(p.shape)) {
      throw new SamBuilderError(
        `${what}: parameter ${p.name} has ${t.data.length} values for shape [${p.shape}]`,
      );
    }
  }
}

export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/**
 * A copy of `weights` where every tensor gets `scale * N(0,1)` added (seeded per name). Tests use it so
 * that parameters PyTorch initialises to constants (LayerNorm ones/zeros) still tell each other apart.
 */
export function jitterWeights(weights: WeightMap, seed: number, scale = 0.1): WeightMap {
  const out: WeightMap = new Map();
  for (const [name, t] of weights) {
    const noise = normalTensor(seed, `jitter:${name}`, t.data.length, scale);
    const data = new Float32Array(t.data.length);
    for (let i = 0; i < data.length; i++) data[i] = t.data[i]! + noise[i]!;
    out.set(name, { shape: [...t.shape], data });
  }
  return out;
}
