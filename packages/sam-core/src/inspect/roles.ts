import type { Dim, TensorInfo } from "./tensor-info.ts";

export type ModelRole = "encoder" | "decoder" | "decoder-throughput" | "unknown";

/** Inputs of the public SAM ONNX decoder export, in the order the official exporter writes them. */
export const DECODER_INPUTS = [
  "image_embeddings",
  "point_coords",
  "point_labels",
  "mask_input",
  "has_mask_input",
  "orig_im_size",
] as const;

export const ENCODER_INPUT = "input_image";
export const ENCODER_OUTPUT = "image_embeddings";

/** Which decoder output carries what (names differ in some exports, e.g. with extra metrics). */
export interface DecoderOutputs {
  masks: string;
  iouPredictions: string;
  lowResMasks: string;
  stabilityScores?: string;
  areas?: string;
}

export interface SamGeometry {
  /** `[1, C, h, w]` of image_embeddings when the model fixes it. */
  embeddingShape?: [number, number, number, number];
  /** `[4h, 4w]`: the low-res mask / mask_input size. */
  lowResSize?: [number, number];
  /** Encoder input side S. */
  inputSize?: number;
  encoderInputForm?: "normalized" | "raw-hwc";
  /** Masks per prompt (4, or 1 for single-mask exports) when the model fixes it. */
  numMasks?: number;
  extraMetrics?: boolean;
  decoderOutputs?: DecoderOutputs;
}

export interface RoleDetection {
  role: ModelRole;
  /** One line: why this role was chosen (or what was missing). */
  reason: string;
  sam: SamGeometry;
}

const fixed = (d: Dim | undefined): number | undefined => (typeof d === "number" && d > 0 ? d : undefined);

function fixedShape4(t: TensorInfo | undefined): [number, number, number, number] | undefined {
  const s = t?.shape;
  if (!s || s.length !== 4) return undefined;
  const v = s.map(fixed);
  return v.every((x) => x !== undefined) ? (v as [number, number, number, number]) : undefined;
}

function parseConfig(meta: Record<string, string>): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(meta["sam.config"] ?? "{}");
    return v && typeof v === "object" ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function configNumber(cfg: Record<string, unknown>, keys: string[]): number | undefined {
  for (const k of keys) if (typeof cfg[k] === "number" && (cfg[k] as number) > 0) return cfg[k] as number;
  return undefined;
}

export function detectRole(inputs: TensorInfo[], outputs: TensorInfo[], metadata: Record<string, string>): RoleDetection {
  const byName = new Map(inputs.map((t) => [t.name, t]));
  const outByName = new Map(outputs.map((t) => [t.name, t]));
  const cfg = parseConfig(metadata);
  const declared = metadata["sam.role"];

  // Encoder: input_image -> image_embeddings.
  const image = byName.get(ENCODER_INPUT);
  const embOut = outByName.get(ENCODER_OUTPUT);
  if (image && embOut && !byName.has("point_coords")) {
    const sam: SamGeometry = {};
    const emb = fixedShape4(embOut);
    if (emb) {
      sam.embeddingShape = emb;
      sam.lowResSize = [4 * emb[2], 4 * emb[3]];
    }
    const s = image.shape;
    if (s?.length === 4) {
      sam.encoderInputForm = "normalized";
      sam.inputSize = fixed(s[2]) ?? fixed(s[3]);
    } else if (s?.length === 3) {
      sam.encoderInputForm = "raw-hwc";
    }
    // Patch-16 ViT: the embedding grid is S/16 (64 for 1024) in every released SAM encoder.
    sam.inputSize ??= configNumber(cfg, ["imgSize", "imageSize", "image_size", "inputSize", "img_size"]) ?? (emb ? 16 * emb[3] : undefined);
    const formText = sam.encoderInputForm === "raw-hwc" ? "[H,W,3] raw RGB" : "normalized [1,3,S,S]";
    return { role: "encoder", reason: `input_image (${formText}) -> image_embeddings`, sam };
  }

  const hasPrompt = byName.has("image_embeddings") && byName.has("point_coords") && byName.has("point_labels");
  if (!hasPrompt) {
    const missing = ["image_embeddings", "point_coords", "point_labels"].filter((n) => !byName.has(n));
    return { role: "unknown", reason: `not a SAM model: missing ${missing.join(", ")}`, sam: {} };
  }
  const sam: SamGeometry = {};
  const emb = fixedShape4(byName.get("image_embeddings"));
  if (emb) sam.embeddingShape = emb;
  const maskIn = fixedShape4(byName.get("mask_input"));
  if (maskIn) sam.lowResSize = [maskIn[2], maskIn[3]];
  else if (emb) sam.lowResSize = [4 * emb[2], 4 * emb[3]];
  sam.inputSize = configNumber(cfg, ["imgSize", "imageSize", "image_size", "inputSize", "img_size"]) ?? (emb ? 16 * emb[3] : undefined);
  sam.decoderOutputs = mapDecoderOutputs(outputs);
  sam.extraMetrics = sam.decoderOutputs?.stabilityScores !== undefined;
  const iou = sam.decoderOutputs ? outByName.get(sam.decoderOutputs.iouPredictions) : undefined;
  sam.numMasks = fixed(iou?.shape?.[iou.shape.length - 1]);

  const missingPublic = DECODER_INPUTS.filter((n) => !byName.has(n));
  if (declared === "decoder-throughput" || (missingPublic.length > 0 && declared !== "decoder")) {
    const why = declared === "decoder-throughput" ? "metadata sam.role" : `prompt inputs without ${missingPublic.join(", ")}`;
    return { role: "decoder-throughput", reason: `batched decoder variant (${why})`, sam };
  }
  return { role: "decoder", reason: "public decoder inputs (image_embeddings, point_coords, point_labels, mask_input, has_mask_input, orig_im_size)", sam };
}

/**
 * The official exporter names only three outputs; with `--return-extra-metrics` the graph returns five
 * (masks, iou_predictions, stability_scores, areas, low_res_masks), so the name "low_res_masks" lands on
 * the stability scores and the real low-res logits get an automatic name. Map by rank, not by name.
 */
export function mapDecoderOutputs(outputs: TensorInfo[]): DecoderOutputs | undefined {
  const masks = outputs.find((o) => o.name === "masks") ?? outputs[0];
  const iou = outputs.find((o) => o.name === "iou_predictions") ?? outputs[1];
  if (!masks || !iou) return undefined;
  const rest = outputs.filter((o) => o !== masks && o !== iou);
  if (rest.length === 0) return undefined;
  if (rest.length === 1) return { masks: masks.name, iouPredictions: iou.name, lowResMasks: rest[0]!.name };
  const rank4 = rest.filter((o) => o.shape?.length === 4);
  const lowRes = rank4.length > 0 ? rank4[rank4.length - 1]! : rest[rest.length - 1]!;
  const metrics = rest.filter((o) => o !== lowRes);
  return {
    masks: masks.name,
    iouPredictions: iou.name,
    lowResMasks: lowRes.name,
    stabilityScores: metrics[0]?.name,
    areas: metrics[1]?.name,
  };
}
