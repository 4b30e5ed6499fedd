import { SamBuilderError } from "./errors.ts";
import type { GraphBuilder, Value } from "./onnx/graph.ts";
import * as ops from "./onnx/ops.ts";
import { DynamicQuantMatMul } from "./onnx/quantize.ts";
import { transpose2d, type WeightMap } from "./weights.ts";

/**
 * Hands out parameters as graph values. By default each becomes an initializer named by its
 * reference name in PyTorch layout (Linear weights [out, in] feed MatMul through a Transpose node,
 * which runtimes fold at load). With `torchStyle`, Linear weights are stored pre-transposed [in, out]
 * under torch.onnx-like names (`onnx::MatMul_<n>`), as official exports store them.
 */
export class ParamStore {
  private readonly cache = new Map<string, Value>();
  private matmulCounter = 1000;
  private readonly quant: DynamicQuantMatMul | null;

  /** With `quantize`, every MatMul against a constant 2-D weight is emitted as onnxruntime's dynamic uint8 form. */
  constructor(
    private readonly g: GraphBuilder,
    private readonly weights: WeightMap,
    private readonly torchStyle: boolean,
    quantize = false,
  ) {
    this.quant = quantize ? new DynamicQuantMatMul(g) : null;
  }

  private torchMatMulName(): string {
    let tname: string;
    do tname = `onnx::MatMul_${this.matmulCounter++}`;
    while (this.g.has(tname) || this.g.has(`${tname}_quantized`));
    return tname;
  }

  /**
   * `x @ W` for a constant 2-D parameter stored as-is (W = `name`, [in, out]), e.g. the Fourier
   * gaussian matrix; quantized when the store quantizes.
   */
  matMulConst(x: Value, name: string): Value {
    const t = this.tensor(name);
    if (t.shape.length !== 2) throw new SamBuilderError(`${name} must be 2-D, got [${t.shape}]`);
    if (!this.quant) return ops.matMul(this.g, x, this.get(name));
    return this.quant.matMul(x, name, t.shape as [number, number], t.data);
  }

  /** `x @ W^T` for Linear `prefix` (weight [out, in]). */
  linearMatMul(x: Value, prefix: string): Value {
    if (!this.quant) return ops.matMul(this.g, x, this.linearWeightT(prefix));
    const name = `${prefix}.weight`;
    const t = this.tensor(name);
    if (t.shape.length !== 2) throw new SamBuilderError(`${name} must be 2-D, got [${t.shape}]`);
    const [out, inp] = t.shape as [number, number];
    // Quantized weights are stored [in, out] as onnxruntime finds them after torch.onnx's transpose.
    const base = this.torchStyle ? this.torchMatMulName() : name;
    return this.quant.matMul(x, base, [inp, out], transpose2d(t.data, out, inp));
  }

  private tensor(name: string) {
    const t = this.weights.get(name);
    if (!t) throw new SamBuilderError(`missing parameter ${name}`);
    return t;
  }

  shapeOf(name: string): number[] {
    return this.tensor(name).shape;
  }

  get(name: string): Value {
    const hit = this.cache.get(name);
    if (hit) return hit;
    const t = this.tensor(name);
    const v = this.g.initFloat(name, t.shape, t.data);
    this.cache.set(name, v);
    return v;
  }

  /** The weight of Linear `prefix` as an [in, out] value ready for `x @ W^T`. */
  linearWeightT(prefix: string): Value {
    const name = `${prefix}.weight`;
    const t = this.tensor(name);
    if (t.shape.length !== 2) throw new SamBuilderError(`${name} must be 2-D, got [${t.shape}]`);
    if (!this.torchStyle) return ops.transpose(this.g, this.get(name), [1, 0]);
    const [out, inp] = t.shape as [number, number];
    return this.g.initFloat(this.torchMatMulName(), [inp, out], transpose2d(t.data, out, inp));
  }
}

/** PyTorch Linear on the last axis: `x @ W^T + b`, as torch.onnx emits it (MatMul then Add). */
export function linear(g: GraphBuilder, p: ParamStore, prefix: string, x: Value): Value {
  return ops.add(g, p.linearMatMul(x, prefix), p.get(`${prefix}.bias`));
}

/** segment-anything's MLP: Linear layers with ReLU between them (none after the last). */
export function mlp(g: GraphBuilder, p: ParamStore, prefix: string, layers: number, x: Value): Value {
  let h = x;
  for (let i = 0; i < layers; i++) {
    h = linear(g, p, `${prefix}.layers.${i}`, h);
    if (i < layers - 1) h = ops.relu(g, h);
  }
  return h;
}

export function layerNorm(g: GraphBuilder, p: ParamStore, prefix: string, x: Value, eps: number): Value {
  return ops.layerNorm(g, x, p.get(`${prefix}.weight`), p.get(`${prefix}.bias`), eps);
}

export function layerNorm2d(g: GraphBuilder, p: ParamStore, prefix: string, x: Value, eps = 1e-6): Value {
  return ops.layerNorm2d(g, x, p.get(`${prefix}.weight`), p.get(`${prefix}.bias`), eps);
}
