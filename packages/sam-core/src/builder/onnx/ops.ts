import type { GraphBuilder, Value } from "./graph.ts";

/**
 * The ONNX operators SAM needs, as functions over a GraphBuilder. Where an operator's signature
 * changed between opsets 16 and 18 (Reduce* axes became an input at 18; LayerNormalization appeared
 * at 17) the helper emits the form valid for the builder's opset.
 */
export const add = (g: GraphBuilder, a: Value, b: Value): Value => g.op("Add", [a, b]);
export const sub = (g: GraphBuilder, a: Value, b: Value): Value => g.op("Sub", [a, b]);
export const mul = (g: GraphBuilder, a: Value, b: Value): Value => g.op("Mul", [a, b]);
export const div = (g: GraphBuilder, a: Value, b: Value): Value => g.op("Div", [a, b]);
export const matMul = (g: GraphBuilder, a: Value, b: Value): Value => g.op("MatMul", [a, b]);
export const relu = (g: GraphBuilder, x: Value): Value => g.op("Relu", [x]);
export const sigmoid = (g: GraphBuilder, x: Value): Value => g.op("Sigmoid", [x]);
export const sin = (g: GraphBuilder, x: Value): Value => g.op("Sin", [x]);
export const cos = (g: GraphBuilder, x: Value): Value => g.op("Cos", [x]);
export const sqrt = (g: GraphBuilder, x: Value): Value => g.op("Sqrt", [x]);
export const exp = (g: GraphBuilder, x: Value): Value => g.op("Exp", [x]);
export const floor = (g: GraphBuilder, x: Value): Value => g.op("Floor", [x]);
export const not = (g: GraphBuilder, x: Value): Value => g.op("Not", [x]);
export const shape = (g: GraphBuilder, x: Value): Value => g.op("Shape", [x]);
export const equal = (g: GraphBuilder, a: Value, b: Value): Value => g.op("Equal", [a, b]);
export const greater = (g: GraphBuilder, a: Value, b: Value): Value => g.op("Greater", [a, b]);
export const where = (g: GraphBuilder, c: Value, a: Value, b: Value): Value => g.op("Where", [c, a, b]);

export function gemm(g: GraphBuilder, a: Value, b: Value, c: Value | null, transB = false): Value {
  return g.op("Gemm", c ? [a, b, c] : [a, b], transB ? { transB: 1 } : {});
}

const CAST_TO = { float32: 1, int32: 6, int64: 7, bool: 9 } as const;
export function cast(g: GraphBuilder, x: Value, to: keyof typeof CAST_TO): Value {
  return g.op("Cast", [x], { to: CAST_TO[to] });
}

/** Reshape to a static target; 0 copies the input dim, -1 is inferred (allowzero = 0). */
export function reshape(g: GraphBuilder, x: Value, dims: readonly number[]): Value {
  return g.op("Reshape", [x, g.constI64(dims)]);
}

export function reshapeDyn(g: GraphBuilder, x: Value, shapeValue: Value): Value {
  return g.op("Reshape", [x, shapeValue]);
}

export function transpose(g: GraphBuilder, x: Value, perm: readonly number[]): Value {
  return g.op("Transpose", [x], { perm: [...perm] });
}

export function softmax(g: GraphBuilder, x: Value, axis = -1): Value {
  return g.op("Softmax", [x], { axis });
}

export function concat(g: GraphBuilder, xs: readonly Value[], axis: number): Value {
  return g.op("Concat", xs, { axis });
}

export function unsqueeze(g: GraphBuilder, x: Value, axes: readonly number[]): Value {
  return g.op("Unsqueeze", [x, g.constI64(axes)]);
}

export function squeeze(g: GraphBuilder, x: Value, axes: readonly number[]): Value {
  return g.op("Squeeze", [x, g.constI64(axes)]);
}

/** Gather with a constant index; a scalar index drops the axis like PyTorch's `x[:, i]`. */
export function gatherConst(
  g: GraphBuilder,
  x: Value,
  index: number | readonly number[],
  axis: number,
): Value {
  return g.op("Gather", [x, typeof index === "number" ? g.constI64(index, []) : g.constI64(index)], { axis });
}

export function gather(g: GraphBuilder, x: Value, indices: Value, axis: number): Value {
  return g.op("Gather", [x, indices], { axis });
}

export function slice(
  g: GraphBuilder,
  x: Value,
  starts: Value | readonly number[],
  ends: Value | readonly number[],
  axes: readonly number[],
): Value {
  const s = "name" in starts ? starts : g.constI64(starts);
  const e = "name" in ends ? ends : g.constI64(ends);
  return g.op("Slice", [x, s, e, g.constI64(axes)]);
}

function reduce(
  g: GraphBuilder,
  op: string,
  x: Value,
  axes: readonly number[] | null,
  keepdims: boolean,
): Value {
  const kd = keepdims ? 1 : 0;
  // ReduceSum takes axes as an input from opset 13, the other reductions from opset 18.
  const axesAsInput = op === "ReduceSum" || g.opset >= 18;
  if (axes === null) return g.op(op, [x], { keepdims: kd });
  return axesAsInput
    ? g.op(op, [x, g.constI64(axes)], { keepdims: kd })
    : g.op(op, [x], { axes: [...axes], keepdims: kd });
}

export const reduceMean = (g: GraphBuilder, x: Value, axes: readonly number[], keepdims = true): Value =>
  reduce(g, "ReduceMean", x, axes, keepdims);
export const reduceSum = (g: GraphBuilder, x: Value, axes: readonly number[], keepdims = true): Value =>
  reduce(g, "ReduceSum", x, axes, keepdims);
export const reduceMax = (g: GraphBuilder, x: Value, axes: readonly number[], keepdims = true): Value =>
  reduce(g, "ReduceMax", x, axes, keepdims);
/** Max over every element (no axes: valid in every opset). */
export const reduceMaxAll = (g: GraphBuilder, x: Value, keepdims = false): Value =>
  reduce(g, "ReduceMax", x, null, keepdims);

export function argMax(g: GraphBuilder, x: Value, axis: number, keepdims = false): Value {
  return g.op("ArgMax", [x], { axis, keepdims: keepdims ? 1 : 0 });
}

export function expand(g: GraphBuilder, x: Value, shapeValue: Value): Value {
  return g.op("Expand", [x, shapeValue]);
}

export function tile(g: GraphBuilder, x: Value, repeats: Value): Value {
  return g.op("Tile", [x, repeats]);
}

/** Constant-mode Pad; `pads` is ONNX order [x1_begin, x2_begin, ..., x1_end, x2_end, ...]. */
export function pad(g: GraphBuilder, x: Value, pads: Value | readonly number[], value = 0): Value {
  const p = "name" in pads ? pads : g.constI64(pads);
  return g.op("Pad", [x, p, g.constF(value, [])], { mode: "constant" });
}

export function conv(
  g: GraphBuilder,
  x: Value,
  w: Value,
  b: Value | null,
  o: { kernel: number; stride?: number; pad?: number },
): Value {
  const s = o.stride ?? 1;
  const p = o.pad ?? 0;
  return g.op("Conv", b ? [x, w, b] : [x, w], {
    kernel_shape: [o.kernel, o.kernel],
    strides: [s, s],
    pads: [p, p, p, p],
    dilations: [1, 1],
    group: 1,
  });
}

export function convTranspose(
  g: GraphBuilder,
  x: Value,
  w: Value,
  b: Value | null,
  kernel: number,
  stride: number,
): Value {
  return g.op("ConvTranspose", b ? [x, w, b] : [x, w], {
    kernel_shape: [kernel, kernel],
    strides: [stride, stride],
    dilations: [1, 1],
    group: 1,
  });
}

/** Bilinear resize to dynamic `sizes` (int64 [4]); half_pixel = PyTorch's align_corners=False. */
export function resizeBilinear(g: GraphBuilder, x: Value, sizes: Value): Value {
  return g.op("Resize", [x, null, null, sizes], {
    mode: "linear",
    coordinate_transformation_mode: "half_pixel",
  });
}

/** Sizes `[N, C, h, w]` for a resize of `x` to the int64 `hw` ([2]) keeping its first two dims. */
export function resizeSizes(g: GraphBuilder, x: Value, hw: Value): Value {
  return concat(g, [slice(g, shape(g, x), [0], [2], [0]), hw], 0);
}

export function einsum(g: GraphBuilder, equation: string, xs: readonly Value[]): Value {
  return g.op("Einsum", xs, { equation });
}

/** GELU as PyTorch defines it: exact (erf) or its tanh approximation. */
export function gelu(g: GraphBuilder, x: Value, form: "erf" | "tanh" = "erf"): Value {
  if (form === "erf") {
    const e = g.op("Erf", [div(g, x, g.constF(Math.SQRT2, []))]);
    return mul(g, mul(g, x, add(g, e, g.constF(1, []))), g.constF(0.5, []));
  }
  const x3 = mul(g, mul(g, x, x), x);
  const inner = mul(g, add(g, x, mul(g, x3, g.constF(0.044715, []))), g.constF(Math.sqrt(2 / Math.PI), []));
  const t = g.op("Tanh", [inner]);
  return mul(g, mul(g, x, add(g, t, g.constF(1, []))), g.constF(0.5, []));
}

/**
 * LayerNorm over the last axis. Opset >= 17 uses LayerNormalization; opset 16 spells it out as
 * PyTorch's decomposition does (biased variance).
 */
export function layerNorm(g: GraphBuilder, x: Value, weight: Value, bias: Value, eps: number): Value {
  if (g.opset >= 17) return g.op("LayerNormalization", [x, weight, bias], { axis: -1, epsilon: { f: eps } });
  return affine(g, normalize(g, x, [-1], eps), weight, bias);
}

/** SAM's LayerNorm2d: normalise over channels of NCHW; `weight`/`bias` are [C] and broadcast as [C,1,1]. */
export function layerNorm2d(g: GraphBuilder, x: Value, weight: Value, bias: Value, eps: number): Value {
  const w = unsqueeze(g, weight, [1, 2]);
  const b = unsqueeze(g, bias, [1, 2]);
  return affine(g, normalize(g, x, [1], eps), w, b);
}

function normalize(g: GraphBuilder, x: Value, axes: number[], eps: number): Value {
  const u = reduceMean(g, x, axes);
  const d = sub(g, x, u);
  const s = reduceMean(g, mul(g, d, d), axes);
  return div(g, d, sqrt(g, add(g, s, g.constF(eps, []))));
}

function affine(g: GraphBuilder, x: Value, w: Value, b: Value): Value {
  return add(g, mul(g, x, w), b);
}
