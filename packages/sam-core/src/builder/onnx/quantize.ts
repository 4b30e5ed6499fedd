import type { GraphBuilder, Value } from "./graph.ts";
import * as ops from "./ops.ts";

/** A per-tensor asymmetric uint8 quantization: value = (q - zeroPoint) * scale. */
export interface QuantizedUint8 {
  q: Uint8Array<ArrayBuffer>;
  scale: number;
  zeroPoint: number;
}

/** Round half to even, as numpy's `round` (which onnxruntime's quantizer uses) does. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantizes weights as onnxruntime's `quantize_dynamic(per_channel=False, reduce_range=False,
 * weight_type=QUInt8)` does: the range is widened to include 0 (so 0 is exact), scale =
 * (rmax - rmin) / 255, zero point = round(-rmin / scale), q = clip(round(w / scale) + zp, 0, 255),
 * all in float32. An all-zero tensor gets scale 1.
 */
export function quantizeUint8(data: Float32Array): QuantizedUint8 {
  let rmin = 0;
  let rmax = 0;
  for (const v of data) {
    if (v < rmin) rmin = v;
    if (v > rmax) rmax = v;
  }
  let scale = Math.fround(Math.fround(rmax - rmin) / 255);
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1;
  const zeroPoint = Math.min(255, Math.max(0, roundHalfEven(Math.fround(-rmin / scale))));
  const q = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    q[i] = Math.min(255, Math.max(0, roundHalfEven(Math.fround(data[i]! / scale)) + zeroPoint));
  }
  return { q, scale, zeroPoint };
}

export function dequantizeUint8(t: QuantizedUint8): Float32Array<ArrayBuffer> {
  return Float32Array.from(t.q, (v) => (v - t.zeroPoint) * t.scale);
}

/**
 * Emits `x @ W` for a constant 2-D `W` ([in, out]) in the form onnxruntime's dynamic quantization
 * writes: DynamicQuantizeLinear(x) -> MatMulInteger(xq, Wq, x_zp, W_zp) -> Cast(float) ->
 * Mul(., x_scale * W_scale). Initializers are `<base>_quantized` (uint8), `<base>_scale`,
 * `<base>_zero_point` (uint8 scalar). One DynamicQuantizeLinear is shared per activation, as
 * onnxruntime does when several MatMuls read the same tensor.
 */
export class DynamicQuantMatMul {
  private readonly activations = new Map<string, [Value, Value, Value]>();

  constructor(private readonly g: GraphBuilder) {}

  matMul(x: Value, base: string, dims: [number, number], weight: Float32Array): Value {
    const g = this.g;
    const qw = quantizeUint8(weight);
    const wq = g.initUint8(`${base}_quantized`, dims, qw.q);
    const ws = g.initFloat(`${base}_scale`, [], Float32Array.of(qw.scale));
    const wz = g.initUint8(`${base}_zero_point`, [], Uint8Array.of(qw.zeroPoint));
    let xq = this.activations.get(x.name);
    if (!xq) {
      xq = g.node("DynamicQuantizeLinear", [x], {}, { outputs: 3 }) as [Value, Value, Value];
      this.activations.set(x.name, xq);
    }
    const [xQuant, xScale, xZero] = xq;
    const acc = g.op("MatMulInteger", [xQuant, wq, xZero, wz]);
    const scales = ops.mul(g, xScale, ws);
    return ops.mul(g, ops.cast(g, acc, "float32"), scales);
  }
}
