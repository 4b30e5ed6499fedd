import { mkdir, open, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { buildDecoderOnnx, buildEncoderOnnx, initDecoderWeights, samConfig, SAM_CONFIG_NAMES } from "../builder/index.ts";
import type { SamConfigName, SerializedModel } from "../builder/index.ts";
import { decodeEmbedding, encodeEmbedding } from "../embedding/codec.ts";
import type { EmbeddingDtype } from "../embedding/codec.ts";
import { formatModelInfo } from "../inspect/format.ts";
import { inspectOnnx } from "../inspect/inspect.ts";
import { createNodeBackend, decodeImage, readModelFile } from "../node.ts";
import { requireRole } from "../inspect/require.ts";
import { encodeImage } from "../predictor/encode-image.ts";
import { predictionToRecords } from "../predictor/records.ts";
import { SamPredictor } from "../predictor/sam-predictor.ts";
import { parseBoxArg, parseIntArg, parsePointsArg } from "./args.ts";
import { UsageError } from "./errors.ts";

export interface Io {
  out: (line: string) => void;
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

function need(p: Parsed, name: string): string {
  const v = p.values[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`missing --${name}`);
  return v;
}

function onePositional(p: Parsed, what: string): string {
  if (p.positionals.length !== 1) throw new UsageError(`expected exactly one ${what}, got ${p.positionals.length}`);
  return p.positionals[0]!;
}

export async function inspectCommand(p: Parsed, io: Io): Promise<void> {
  const path = onePositional(p, "MODEL path");
  const info = inspectOnnx(new Uint8Array(await readFile(path)), path);
  io.out(p.values.json ? JSON.stringify(info, null, 2) : formatModelInfo(info));
}

async function writeSerialized(dir: string, name: string, m: SerializedModel): Promise<string[]> {
  const written = [join(dir, name)];
  await writeFile(join(dir, name), m.model);
  if (m.external) {
    // Stream the chunks: the side file of ViT-H is ~2.5 GB, more than one Buffer should hold.
    const path = join(dir, m.external.fileName);
    const fh = await open(path, "w");
    try {
      for (const c of m.external.chunks) await fh.write(c);
    } finally {
      await fh.close();
    }
    written.push(path);
  }
  return written;
}

export async function buildCommand(p: Parsed, io: Io): Promise<void> {
  const arch = need(p, "arch");
  if (!(SAM_CONFIG_NAMES as readonly string[]).includes(arch)) throw new UsageError(`--arch must be one of ${SAM_CONFIG_NAMES.join(", ")}, got "${arch}"`);
  const outDir = need(p, "out");
  const seed = parseIntArg(p.values.seed as string | undefined, "--seed", 0);
  const cfg = samConfig(arch as SamConfigName);
  await mkdir(outDir, { recursive: true });
  const weights = initDecoderWeights(cfg.decoder, seed);
  const files: string[] = [];
  files.push(...(await writeSerialized(outDir, "decoder.onnx", buildDecoderOnnx(cfg.decoder, weights, { variant: "public" }))));
  files.push(...(await writeSerialized(outDir, "decoder-throughput.onnx", buildDecoderOnnx(cfg.decoder, weights, { variant: "throughput" }))));
  const enc = buildEncoderOnnx(cfg.encoder, { seed, inputForm: "normalized", externalDataFile: "encoder.onnx.data" });
  files.push(...(await writeSerialized(outDir, "encoder.onnx", enc)));
  io.out(`built ${arch} (seed ${seed}, random weights): ${files.join(", ")}`);
}

async function predictorFor(p: Parsed, withEncoder: boolean): Promise<SamPredictor> {
  const backend = createNodeBackend();
  const threads = p.values.threads === undefined ? undefined : parseIntArg(p.values.threads as string, "--threads", 0);
  const enc = withEncoder ? await readModelFile(need(p, "encoder")) : undefined;
  const decoderPath = p.values.decoder as string | undefined;
  if (!decoderPath) throw new UsageError("missing --decoder");
  const dec = await readModelFile(decoderPath);
  return SamPredictor.create({
    backend,
    decoder: dec.model,
    decoderExternalData: dec.externalData,
    encoder: enc?.model,
    encoderExternalData: enc?.externalData,
    sessionOptions: { threads },
  });
}

export async function embedCommand(p: Parsed, io: Io): Promise<void> {
  const imagePath = onePositional(p, "IMAGE path");
  const out = need(p, "out");
  const dtype = (p.values.dtype as string | undefined) ?? "float16";
  if (dtype !== "float16" && dtype !== "float32") throw new UsageError(`--dtype must be float16 or float32, got "${dtype}"`);
  const enc = await readModelFile(need(p, "encoder"));
  // No decoder needed: run the encoder alone.
  requireRole(inspectOnnx(enc.model, "encoder"), "encoder", need(p, "encoder"));
  const image = await decodeImage(new Uint8Array(await readFile(imagePath)));
  const t0 = performance.now();
  const emb = await encodeImage(createNodeBackend(), enc.model, enc.externalData, image);
  const blob = encodeEmbedding(emb, { dtype: dtype as EmbeddingDtype });
  await writeFile(out, blob);
  io.out(`embedded ${basename(imagePath)} (${image.width}x${image.height}) in ${((performance.now() - t0) / 1000).toFixed(2)} s: [${emb.shape.join(",")}] ${dtype}, ${blob.length} bytes -> ${out}`);
}

export async function predictCommand(p: Parsed, io: Io): Promise<void> {
  const imagePath = onePositional(p, "IMAGE path");
  const out = need(p, "out");
  const { points, labels } = p.values.points ? parsePointsArg(p.values.points as string) : { points: [], labels: [] };
  const box = p.values.box ? parseBoxArg(p.values.box as string) : undefined;
  if (points.length === 0 && !box) throw new UsageError("give --points and/or --box");
  const embPath = p.values.embedding as string | undefined;
  const predictor = await predictorFor(p, !embPath);
  try {
    const image = await decodeImage(new Uint8Array(await readFile(imagePath)));
    if (embPath) {
      const emb = decodeEmbedding(new Uint8Array(await readFile(embPath)));
      if (emb.originalSize[0] !== image.height || emb.originalSize[1] !== image.width) {
        throw new UsageError(`embedding was computed for a ${emb.originalSize[1]}x${emb.originalSize[0]} image but ${imagePath} is ${image.width}x${image.height}`);
      }
      predictor.setEmbedding(emb);
    } else {
      await predictor.setImage(image);
    }
    const prediction = await predictor.predict({ points, labels, box, multimask: Boolean(p.values.multimask) });
    const records = predictionToRecords(prediction, points);
    const doc = { image: { width: image.width, height: image.height, file_name: basename(imagePath) }, annotations: records };
    await writeFile(out, JSON.stringify(doc));
    io.out(`${records.length} mask(s), predicted IoU ${prediction.scores.map((s) => s.toFixed(3)).join(", ")} -> ${out}`);
  } finally {
    await predictor.release();
  }
}
