import {
  buildDecoderOnnx,
  buildEncoderOnnx,
  preprocessHwc,
  type OrtBackend,
  type SamConfig,
  type WeightMap,
} from "@data-engine/sam-core";
import type { MaskSample } from "../dataset.ts";
import { evaluate, onnxDecoder, type EvalResult } from "../evaluate.ts";
import { promptProbe, type PromptProbe } from "./prompt-probe.ts";
import { downsampleMask, generateScene, type SceneDomain } from "./scenes.ts";

export interface SceneSetOptions {
  count: number;
  /** Scene seeds are `firstSeed + i`. */
  firstSeed: number;
  domain: SceneDomain;
  size: number;
  /** "input": masks at the full frame; "low": at the decoder's low-res grid. */
  grid: "input" | "low";
  lowSide: number;
}

/** Runs an ONNX encoder (normalized input form) over procedural scenes -> MaskSamples. */
export async function sceneSamples(
  backend: OrtBackend,
  encoderModel: Uint8Array,
  o: SceneSetOptions,
): Promise<MaskSample[]> {
  const sess = await backend.createSession(encoderModel, { label: "encoder" });
  const out: MaskSample[] = [];
  try {
    for (let i = 0; i < o.count; i++) {
      const scene = generateScene(o.firstSeed + i, { size: o.size, domain: o.domain });
      const input = preprocessHwc(scene.rgb, o.size, o.size, o.size);
      const r = await sess.run({ input_image: backend.tensor("float32", input, [1, 3, o.size, o.size]) });
      const emb = r.image_embeddings!;
      const embedding = new Float32Array(emb.data as Float32Array);
      for (const m of scene.masks) {
        out.push({
          imageId: `${o.domain}-${o.firstSeed + i}`,
          embedding,
          embShape: [...emb.dims],
          mask: o.grid === "input" ? m : downsampleMask(m, o.lowSide),
        });
      }
    }
  } finally {
    await sess.release();
  }
  return out;
}

/** Builds the model's ONNX files and evaluates them with onnxruntime on held-out scenes. */
export async function evaluateModel(
  backend: OrtBackend,
  cfg: SamConfig,
  encoder: WeightMap,
  decoder: WeightMap,
  scenes: Omit<SceneSetOptions, "size" | "lowSide">,
): Promise<EvalResult> {
  const enc = buildEncoderOnnx(cfg.encoder, { weights: encoder, inputForm: "normalized" }).model;
  const dec = buildDecoderOnnx(cfg.decoder, decoder, { variant: "throughput" }).model;
  const samples = await sceneSamples(backend, enc, {
    ...scenes,
    size: cfg.encoder.imgSize,
    lowSide: 4 * cfg.decoder.embeddingSize,
  });
  const d = await onnxDecoder(backend, dec, cfg.decoder);
  try {
    return await evaluate(cfg.decoder, d.decode, samples);
  } finally {
    await d.dispose();
  }
}

/** promptProbe (prompt-probe.ts) of the model's ONNX files on held-out scenes at the low-res grid. */
export async function probeModel(
  backend: OrtBackend,
  cfg: SamConfig,
  encoder: WeightMap,
  decoder: WeightMap,
  scenes: Omit<SceneSetOptions, "size" | "lowSide" | "grid">,
): Promise<PromptProbe> {
  const enc = buildEncoderOnnx(cfg.encoder, { weights: encoder, inputForm: "normalized" }).model;
  const samples = await sceneSamples(backend, enc, {
    ...scenes,
    grid: "low",
    size: cfg.encoder.imgSize,
    lowSide: 4 * cfg.decoder.embeddingSize,
  });
  const dec = buildDecoderOnnx(cfg.decoder, decoder, { variant: "throughput" }).model;
  const d = await onnxDecoder(backend, dec, cfg.decoder);
  try {
    return await promptProbe(cfg.decoder, d.decode, samples);
  } finally {
    await d.dispose();
  }
}
