import { validateEncoderConfig, type EncoderConfig } from "../config.ts";
import { SamBuilderError } from "../errors.ts";
import { samMetadata } from "../metadata.ts";
import { layerNorm, layerNorm2d, linear, ParamStore } from "../nn.ts";
import { GraphBuilder, type Value } from "../onnx/graph.ts";
import { serializeModel, type SerializedModel } from "../onnx/model.ts";
import * as ops from "../onnx/ops.ts";
import { checkWeights, type WeightMap } from "../weights.ts";
import { initEncoderWeights } from "./init.ts";
import { blockAttnSize, encoderParamSpecs } from "./params.ts";
import { PIXEL_MEAN, PIXEL_STD } from "./preprocess.ts";

export interface EncoderBuildOptions {
  /** Seed for `initEncoderWeights` when `weights` is not given (default 0). */
  seed?: number;
  weights?: WeightMap;
  /**
   * `normalized`: `input_image [1,3,S,S]`, already normalised and padded. `raw-hwc`: `input_image [H,W,3]`
   * RGB float 0-255 of any size; resize, normalisation and padding happen in the graph.
   */
  inputForm?: "normalized" | "raw-hwc";
  opset?: number;
  gelu?: "erf" | "tanh";
  /** See SerializeOptions: "auto" moves weights to a side file above ~1.8 GB (ViT-H). */
  externalData?: boolean | "auto";
  externalDataFile?: string;
}

/** `get_rel_pos` for equal query/key sizes: index `i - j + size - 1` into the table, [size, size, headDim]. */
function relPos(g: GraphBuilder, table: Value, size: number, rows: number, name: string): Value {
  if (rows !== 2 * size - 1) {
    throw new SamBuilderError(
      `${name} has ${rows} rows; a ${size}-wide attention needs ${2 * size - 1} (interpolation unsupported)`,
    );
  }
  const idx: number[] = [];
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) idx.push(i - j + size - 1);
  return ops.gather(g, table, g.constI64(idx, [size, size]), 0);
}

/** ViT attention with decomposed relative position bias over x [B, s, s, E]. */
function attention(
  g: GraphBuilder,
  p: ParamStore,
  c: EncoderConfig,
  prefix: string,
  x: Value,
  batch: number,
  s: number,
): Value {
  const e = c.embedDim;
  const heads = c.numHeads;
  const hd = e / heads;
  const bh = batch * heads;
  const qkv = ops.transpose(
    g,
    ops.reshape(g, linear(g, p, `${prefix}.qkv`, x), [batch, s * s, 3, heads, hd]),
    [2, 0, 3, 1, 4],
  );
  const qkv3 = ops.reshape(g, qkv, [3, bh, s * s, hd]);
  const [q, k, v] = [0, 1, 2].map((i) => ops.gatherConst(g, qkv3, i, 0)) as [Value, Value, Value];
  let attn = ops.matMul(g, ops.mul(g, q, g.constF(hd ** -0.5, [])), ops.transpose(g, k, [0, 2, 1]));
  const rows = (axis: string) => p.shapeOf(`${prefix}.rel_pos_${axis}`)[0]!;
  const rh = relPos(g, p.get(`${prefix}.rel_pos_h`), s, rows("h"), `${prefix}.rel_pos_h`);
  const rw = relPos(g, p.get(`${prefix}.rel_pos_w`), s, rows("w"), `${prefix}.rel_pos_w`);
  const rq = ops.reshape(g, q, [bh, s, s, hd]);
  const relH = ops.einsum(g, "bhwc,hkc->bhwk", [rq, rh]);
  const relW = ops.einsum(g, "bhwc,wkc->bhwk", [rq, rw]);
  attn = ops.add(g, ops.reshape(g, attn, [bh, s, s, s, s]), ops.unsqueeze(g, relH, [4]));
  attn = ops.reshape(g, ops.add(g, attn, ops.unsqueeze(g, relW, [3])), [bh, s * s, s * s]);
  const out = ops.matMul(g, ops.softmax(g, attn, -1), v);
  const merged = ops.reshape(
    g,
    ops.transpose(g, ops.reshape(g, out, [batch, heads, s, s, hd]), [0, 2, 3, 1, 4]),
    [batch, s, s, e],
  );
  return linear(g, p, `${prefix}.proj`, merged);
}

function block(
  g: GraphBuilder,
  p: ParamStore,
  c: EncoderConfig,
  i: number,
  x: Value,
  gelu: "erf" | "tanh",
): Value {
  const b = `image_encoder.blocks.${i}`;
  const grid = c.imgSize / c.patchSize;
  const e = c.embedDim;
  const global = c.globalAttnIndexes.includes(i);
  let h = layerNorm(g, p, `${b}.norm1`, x, 1e-6);
  if (global) {
    h = attention(g, p, c, `${b}.attn`, h, 1, grid);
  } else {
    const ws = blockAttnSize(c, i);
    const padded = Math.ceil(grid / ws) * ws;
    const pad = padded - grid;
    const n = padded / ws;
    if (pad > 0) h = ops.pad(g, h, [0, 0, 0, 0, 0, pad, pad, 0]);
    h = ops.reshape(g, ops.transpose(g, ops.reshape(g, h, [1, n, ws, n, ws, e]), [0, 1, 3, 2, 4, 5]), [
      n * n,
      ws,
      ws,
      e,
    ]);
    h = attention(g, p, c, `${b}.attn`, h, n * n, ws);
    h = ops.reshape(g, ops.transpose(g, ops.reshape(g, h, [1, n, n, ws, ws, e]), [0, 1, 3, 2, 4, 5]), [
      1,
      padded,
      padded,
      e,
    ]);
    if (pad > 0) h = ops.slice(g, h, [0, 0], [grid, grid], [1, 2]);
  }
  const x1 = ops.add(g, x, h);
  const m = linear(
    g,
    p,
    `${b}.mlp.lin2`,
    ops.gelu(g, linear(g, p, `${b}.mlp.lin1`, layerNorm(g, p, `${b}.norm2`, x1, 1e-6)), gelu),
  );
  return ops.add(g, x1, m);
}

/** In-graph preprocessing of `[H, W, 3]` RGB 0-255 to the normalised, padded `[1, 3, S, S]`. */
function preprocess(g: GraphBuilder, image: Value, size: number): Value {
  return g.scope("preprocess", () => {
    const chw = ops.unsqueeze(g, ops.transpose(g, image, [2, 0, 1]), [0]);
    const hw = ops.cast(g, ops.slice(g, ops.shape(g, image), [0], [2], [0]), "float32");
    const scale = ops.div(g, g.constF(size, []), ops.reduceMaxAll(g, hw));
    const target = ops.cast(g, ops.floor(g, ops.add(g, ops.mul(g, hw, scale), g.constF(0.5, []))), "int64");
    const resized = ops.resizeBilinear(g, chw, ops.concat(g, [g.constI64([1, 3]), target], 0));
    const norm = ops.div(
      g,
      ops.sub(g, resized, g.constF(PIXEL_MEAN, [1, 3, 1, 1])),
      g.constF(PIXEL_STD, [1, 3, 1, 1]),
    );
    const pads = ops.concat(
      g,
      [g.constI64([0, 0, 0, 0, 0, 0]), ops.sub(g, g.constI64([size, size]), target)],
      0,
    );
    return ops.pad(g, norm, pads);
  });
}

/** Builds SAM's ViT image encoder: `input_image` -> `image_embeddings [1, outChans, S/16, S/16]`. */
export function buildEncoderOnnx(c: EncoderConfig, opts: EncoderBuildOptions = {}): SerializedModel {
  validateEncoderConfig(c);
  const form = opts.inputForm ?? "normalized";
  if (form !== "normalized" && form !== "raw-hwc")
    throw new SamBuilderError(`unknown inputForm "${String(form)}"`);
  const gelu = opts.gelu ?? "erf";
  const weights = opts.weights ?? initEncoderWeights(c, opts.seed ?? 0);
  checkWeights(encoderParamSpecs(c), weights, "buildEncoderOnnx");
  const g = new GraphBuilder(opts.opset ?? 17);
  const p = new ParamStore(g, weights, false);
  const grid = c.imgSize / c.patchSize;
  const S = c.imgSize;
  const ie = "image_encoder";

  const input =
    form === "normalized"
      ? g.input("input_image", "float32", [1, 3, S, S])
      : g.input("input_image", "float32", ["height", "width", 3]);
  const x0 = form === "normalized" ? input : preprocess(g, input, S);
  const patches = ops.conv(
    g,
    x0,
    p.get(`${ie}.patch_embed.proj.weight`),
    p.get(`${ie}.patch_embed.proj.bias`),
    {
      kernel: c.patchSize,
      stride: c.patchSize,
    },
  );
  let x = ops.add(g, ops.transpose(g, patches, [0, 2, 3, 1]), p.get(`${ie}.pos_embed`));
  for (let i = 0; i < c.depth; i++) x = g.scope(`blocks.${i}`, () => block(g, p, c, i, x, gelu));
  const out = g.scope("neck", () => {
    let y = ops.conv(g, ops.transpose(g, x, [0, 3, 1, 2]), p.get(`${ie}.neck.0.weight`), null, { kernel: 1 });
    y = layerNorm2d(g, p, `${ie}.neck.1`, y);
    y = ops.conv(g, y, p.get(`${ie}.neck.2.weight`), null, { kernel: 3, pad: 1 });
    return layerNorm2d(g, p, `${ie}.neck.3`, y);
  });
  g.output(out, "image_embeddings", "float32", [1, c.outChans, grid, grid]);
  return serializeModel(g, {
    graphName: "encoder",
    metadata: samMetadata(
      "encoder",
      c,
      "every parameter is an initializer named by its segment-anything reference name (image_encoder.*), PyTorch layout",
      {
        inputForm: form,
        gelu,
        embeddingShape: [1, c.outChans, grid, grid],
        pixelMean: PIXEL_MEAN,
        pixelStd: PIXEL_STD,
      },
    ),
    externalData: opts.externalData ?? "auto",
    ...(opts.externalDataFile ? { externalDataFile: opts.externalDataFile } : {}),
  });
}
