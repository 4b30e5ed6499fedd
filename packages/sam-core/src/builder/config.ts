import { SamBuilderError } from "./errors.ts";

/** SAM's ViT image encoder (`ImageEncoderViT`) sizes. */
export interface EncoderConfig {
  /** Square input side S (the image is resized and padded to S x S). */
  imgSize: number;
  patchSize: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  mlpRatio: number;
  /** Channels of the output embedding (the neck's width). */
  outChans: number;
  /** Side of the attention windows in non-global blocks. */
  windowSize: number;
  /** Blocks that attend globally (window size 0). */
  globalAttnIndexes: number[];
}

/** SAM's prompt encoder + mask decoder sizes. */
export interface DecoderConfig {
  transformerDim: number;
  transformerDepth: number;
  numHeads: number;
  mlpDim: number;
  /** Token/image cross attentions project to `transformerDim / attentionDownsampleRate`. */
  attentionDownsampleRate: number;
  numMultimaskOutputs: number;
  iouHeadDepth: number;
  iouHeadHiddenDim: number;
  maskInChans: number;
  /** Side of the (square) image embedding, e.g. 64. Masks in/out at low resolution are 4x this. */
  embeddingSize: number;
  /** Side of the encoder's input frame that point coordinates live in, e.g. 1024. */
  inputSize: number;
}

export interface SamConfig {
  encoder: EncoderConfig;
  decoder: DecoderConfig;
}

export type SamConfigName = "tiny" | "vit_b" | "vit_l" | "vit_h";

export const SAM_CONFIG_NAMES: readonly SamConfigName[] = ["tiny", "vit_b", "vit_l", "vit_h"];

function realDecoder(): DecoderConfig {
  return {
    transformerDim: 256,
    transformerDepth: 2,
    numHeads: 8,
    mlpDim: 2048,
    attentionDownsampleRate: 2,
    numMultimaskOutputs: 3,
    iouHeadDepth: 3,
    iouHeadHiddenDim: 256,
    maskInChans: 16,
    embeddingSize: 64,
    inputSize: 1024,
  };
}

function realEncoder(
  embedDim: number,
  depth: number,
  numHeads: number,
  globalAttnIndexes: number[],
): EncoderConfig {
  return {
    imgSize: 1024,
    patchSize: 16,
    embedDim,
    depth,
    numHeads,
    mlpRatio: 4,
    outChans: 256,
    windowSize: 14,
    globalAttnIndexes,
  };
}

/** The published SAM sizes, plus `tiny`: the same architecture shrunk to a few MB for tests. */
export function samConfig(name: SamConfigName): SamConfig {
  switch (name) {
    case "vit_b":
      return { encoder: realEncoder(768, 12, 12, [2, 5, 8, 11]), decoder: realDecoder() };
    case "vit_l":
      return { encoder: realEncoder(1024, 24, 16, [5, 11, 17, 23]), decoder: realDecoder() };
    case "vit_h":
      return { encoder: realEncoder(1280, 32, 16, [7, 15, 23, 31]), decoder: realDecoder() };
    case "tiny":
      return {
        encoder: {
          imgSize: 256,
          patchSize: 16,
          embedDim: 96,
          depth: 4,
          numHeads: 3,
          mlpRatio: 4,
          outChans: 64,
          windowSize: 4,
          globalAttnIndexes: [1, 3],
        },
        decoder: {
          transformerDim: 64,
          transformerDepth: 2,
          numHeads: 8,
          mlpDim: 256,
          attentionDownsampleRate: 2,
          numMultimaskOutputs: 3,
          iouHeadDepth: 3,
          iouHeadHiddenDim: 64,
          maskInChans: 16,
          embeddingSize: 16,
          inputSize: 256,
        },
      };
    default:
      throw new SamBuilderError(
        `unknown SAM config "${String(name)}"; expected one of ${SAM_CONFIG_NAMES.join(", ")}`,
      );
  }
}

function positiveInt(what: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0)
    throw new SamBuilderError(`${what} must be a positive integer, got ${v}`);
}

export function validateDecoderConfig(c: DecoderConfig): void {
  for (const k of Object.keys(realDecoder()) as (keyof DecoderConfig)[]) positiveInt(`decoder.${k}`, c[k]);
  if (c.transformerDim % c.numHeads !== 0) {
    throw new SamBuilderError(
      `decoder.transformerDim ${c.transformerDim} is not divisible by numHeads ${c.numHeads}`,
    );
  }
  const inner = c.transformerDim / c.attentionDownsampleRate;
  if (!Number.isInteger(inner) || inner % c.numHeads !== 0) {
    throw new SamBuilderError(
      `decoder.transformerDim / attentionDownsampleRate (${inner}) must be divisible by numHeads`,
    );
  }
  if (c.transformerDim % 8 !== 0)
    throw new SamBuilderError(`decoder.transformerDim must be a multiple of 8 (upscaling to dim/8)`);
  if (c.maskInChans % 4 !== 0) throw new SamBuilderError(`decoder.maskInChans must be a multiple of 4`);
  if (c.transformerDim % 2 !== 0)
    throw new SamBuilderError(`decoder.transformerDim must be even (Fourier features)`);
}

export function validateEncoderConfig(c: EncoderConfig): void {
  for (const k of [
    "imgSize",
    "patchSize",
    "embedDim",
    "depth",
    "numHeads",
    "mlpRatio",
    "outChans",
    "windowSize",
  ] as const) {
    positiveInt(`encoder.${k}`, c[k]);
  }
  if (c.imgSize % c.patchSize !== 0)
    throw new SamBuilderError(`encoder.imgSize must be a multiple of patchSize`);
  if (c.embedDim % c.numHeads !== 0)
    throw new SamBuilderError(`encoder.embedDim must be divisible by numHeads`);
  for (const i of c.globalAttnIndexes) {
    if (!Number.isInteger(i) || i < 0 || i >= c.depth) {
      throw new SamBuilderError(
        `encoder.globalAttnIndexes entry ${i} is not a block index below depth ${c.depth}`,
      );
    }
  }
}
