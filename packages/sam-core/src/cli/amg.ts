/**
 * `sam-core amg`: automatic mask generation ("segment everything") over one image, written as SA-1B JSON
 * (COCO RLE). Registered in main.ts's command table as `amg: { options: AMG_OPTIONS, run: amgCommand }`.
 */
import { readFile, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { cropEncoder } from "../amg/crop-encoder.ts";
import { generateMasks } from "../amg/generate.ts";
import type { AmgOptions, AmgPresetName } from "../amg/options.ts";
import { AMG_PRESETS, amgPreset } from "../amg/options.ts";
import { createOrtAmgDecoder } from "../amg/ort-decoder.ts";
import { decodeEmbedding } from "../embedding/codec.ts";
import { createNodeBackend, decodeImage, lowRankWorkers, readModelFile } from "../node.ts";
import { encodeImage } from "../predictor/encode-image.ts";
import { modelIdFromBytes } from "../predictor/model-id.ts";
import { parseIntArg } from "./args.ts";
import type { Io, Parsed } from "./commands.ts";
import { UsageError } from "./errors.ts";

export const AMG_USAGE = `  amg --decoder DECODER.onnx (--encoder ENCODER.onnx | --embedding EMB.bin) IMAGE --out MASKS.json
          [--preset default|sa1b] [--points-per-side N] [--points-per-batch N] [--pred-iou T]
          [--stability T] [--stability-offset T] [--crop-layers N] [--min-region N] [--threads N] [--quiet]
      automatic mask generation (every object): a grid of prompts, filtered and de-duplicated as
      SamAutomaticMaskGenerator; the batched decoder-throughput.onnx is fastest, the public decoder works
      too (one prompt per run). Crop layers need --encoder. Writes SA-1B-style JSON (COCO RLE).
      --threads N: onnxruntime threads, and the batched decoder's worker threads (default: every core).`;

export const AMG_OPTIONS = {
  decoder: { type: "string" },
  encoder: { type: "string" },
  embedding: { type: "string" },
  out: { type: "string" },
  preset: { type: "string" },
  "points-per-side": { type: "string" },
  "points-per-batch": { type: "string" },
  "pred-iou": { type: "string" },
  stability: { type: "string" },
  "stability-offset": { type: "string" },
  "crop-layers": { type: "string" },
  "min-region": { type: "string" },
  threads: { type: "string" },
  quiet: { type: "boolean" },
} as const;

function numberArg(p: Parsed, name: string): number | undefined {
  const v = p.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${String(v)}"`);
  return n;
}

export async function amgCommand(p: Parsed, io: Io): Promise<void> {
  if (p.positionals.length !== 1) throw new UsageError(`expected exactly one IMAGE path, got ${p.positionals.length}`);
  const imagePath = p.positionals[0]!;
  const out = p.values.out;
  const decoderPath = p.values.decoder;
  if (typeof out !== "string" || !out) throw new UsageError("missing --out");
  if (typeof decoderPath !== "string" || !decoderPath) throw new UsageError("missing --decoder");
  const encoderPath = p.values.encoder as string | undefined;
  const embeddingPath = p.values.embedding as string | undefined;
  if (!encoderPath && !embeddingPath) throw new UsageError("give --encoder and/or --embedding");
  const preset = (p.values.preset as string | undefined) ?? "default";
  if (!(preset in AMG_PRESETS)) throw new UsageError(`--preset must be one of ${Object.keys(AMG_PRESETS).join(", ")}, got "${preset}"`);

  const overrides: AmgOptions = { outputMode: "coco_rle" };
  const set = <K extends keyof AmgOptions>(key: K, v: AmgOptions[K] | undefined) => {
    if (v !== undefined) overrides[key] = v;
  };
  set("pointsPerSide", numberArg(p, "points-per-side"));
  set("pointsPerBatch", numberArg(p, "points-per-batch"));
  set("predIouThresh", numberArg(p, "pred-iou"));
  set("stabilityScoreThresh", numberArg(p, "stability"));
  set("stabilityScoreOffset", numberArg(p, "stability-offset"));
  set("cropNLayers", numberArg(p, "crop-layers"));
  set("minMaskRegionArea", numberArg(p, "min-region"));
  const options = amgPreset(preset as AmgPresetName, overrides);
  const threads = p.values.threads === undefined ? undefined : parseIntArg(p.values.threads as string, "--threads", 0);

  const backend = createNodeBackend();
  const dec = await readModelFile(decoderPath);
  const enc = encoderPath ? await readModelFile(encoderPath) : undefined;
  // The same id the predictor and `embed` give this encoder (external-data files included), so crop
  // embeddings and a passed --embedding are checked against one identity.
  const modelId = enc ? await modelIdFromBytes(enc.model, enc.externalData) : undefined;
  const decoder = await createOrtAmgDecoder({
    backend,
    decoder: dec.model,
    externalData: dec.externalData,
    sessionOptions: { threads },
    // Each batch's prompts split across worker threads, one onnxruntime thread each (lowrank-pool.ts).
    lowRankRunner: lowRankWorkers({ workers: threads || undefined }),
    modelId,
  });
  try {
    const image = await decodeImage(new Uint8Array(await readFile(imagePath)));
    const embedding = embeddingPath ? decodeEmbedding(new Uint8Array(await readFile(embeddingPath))) : undefined;
    let encodeCrop;
    if (enc) encodeCrop = cropEncoder(image, (crop) => encodeImage(backend, enc.model, enc.externalData, crop, modelId));
    const result = await generateMasks(
      {
        height: image.height,
        width: image.width,
        decoder,
        embedding,
        encodeCrop,
        onProgress: p.values.quiet
          ? undefined
          : (g) => {
              if (g.batch === g.batches - 1) io.out(`crop ${g.crop + 1}/${g.crops}: ${g.kept} candidate mask(s) before NMS`);
            },
      },
      options,
    );
    const annotations = result.masks.map((m, i) => ({ id: i + 1, ...m }));
    const doc = { image: { width: image.width, height: image.height, file_name: basename(imagePath) }, annotations };
    await writeFile(out, JSON.stringify(doc));
    const t = result.timings;
    io.out(
      `${annotations.length} mask(s) from ${result.stats.prompts} prompts (${decoder.kind} decoder, ${result.stats.decoderRuns} runs) in ` +
        `${(t.totalMs / 1000).toFixed(2)} s (encoder ${(t.encodeMs / 1000).toFixed(2)} s, decoder ${(t.decodeMs / 1000).toFixed(2)} s, ` +
        `post-processing ${(t.postprocessMs / 1000).toFixed(2)} s) -> ${out}`,
    );
  } finally {
    await decoder.release();
  }
}
