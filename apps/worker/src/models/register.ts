// Registers a model version from ONNX files: checks the pair with sam-core's inspect (roles, matching
// embedding shape and input size), stores the files content-addressed, and records the ModelVersion.
import { createHash } from "node:crypto";
import type { ModelSource, ModelVersion } from "@data-engine/db";
import { inspectOnnx, requireRole, type ModelInfo } from "@data-engine/sam-core";
import type { Services } from "../services.ts";
import { ModelError } from "../errors.ts";

export interface ModelFileBytes {
  model: Uint8Array;
  externalData?: { path: string; data: Uint8Array }[];
}

export interface RegisterModelRequest {
  name: string;
  architecture?: string;
  source: ModelSource;
  encoder: ModelFileBytes;
  decoder: ModelFileBytes;
  /** Optional batched decoder (sam-core's `decoder-throughput` variant) for automatic generation. */
  decoderThroughput?: Uint8Array;
  /** Omitted: the model is available to every project. */
  projectId?: string | null;
  createdById?: string | null;
  parentId?: string | null;
  config?: Record<string, unknown>;
}

export interface InspectedPair {
  encoder: ModelInfo;
  decoder: ModelInfo;
  embeddingShape: [number, number, number, number];
  inputSize: number;
}

export function inspectModelPair(encoder: Uint8Array, decoder: Uint8Array): InspectedPair {
  let enc: ModelInfo;
  let dec: ModelInfo;
  try {
    enc = inspectOnnx(encoder, "encoder");
    requireRole(enc, "encoder", "the encoder file");
    dec = inspectOnnx(decoder, "decoder");
    requireRole(dec, "decoder", "the decoder file");
  } catch (error) {
    throw new ModelError(error instanceof Error ? error.message : String(error));
  }
  const shape = dec.sam.embeddingShape;
  const inputSize = enc.sam.inputSize ?? dec.sam.inputSize;
  if (!shape) throw new ModelError("the decoder does not fix the image_embeddings shape, so its geometry is unknown");
  if (!inputSize) throw new ModelError("neither file says which input size the encoder expects");
  const encShape = enc.sam.embeddingShape;
  if (encShape && encShape.some((d, i) => d !== shape[i])) {
    throw new ModelError(`the encoder produces embeddings [${encShape.join(",")}] but the decoder takes [${shape.join(",")}]: not a matching pair`);
  }
  if (enc.sam.inputSize && dec.sam.inputSize && enc.sam.inputSize !== dec.sam.inputSize) {
    throw new ModelError(`the encoder's input size ${enc.sam.inputSize} does not match the decoder's ${dec.sam.inputSize}`);
  }
  return { encoder: enc, decoder: dec, embeddingShape: shape, inputSize };
}

function inspectThroughput(bytes: Uint8Array): ModelInfo {
  try {
    const info = inspectOnnx(bytes, "decoder-throughput");
    requireRole(info, "decoder-throughput", "the throughput decoder file");
    return info;
  } catch (error) {
    throw new ModelError(error instanceof Error ? error.message : String(error));
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export async function registerModelVersion(services: Services, request: RegisterModelRequest): Promise<ModelVersion> {
  if (!request.name.trim()) throw new ModelError("a model version needs a name");
  const pair = inspectModelPair(request.encoder.model, request.decoder.model);
  const encoderSha = sha256(request.encoder.model);
  const decoderSha = sha256(request.decoder.model);
  // Content-addressed: registering the same files twice stores them once, and a crash leaves no row
  // that points at missing files (the row is written last).
  const encoderKey = `models/${encoderSha}/encoder.onnx`;
  const decoderKey = `models/${decoderSha}/decoder.onnx`;
  await services.storage.put(encoderKey, request.encoder.model, { contentType: "application/octet-stream" });
  for (const side of request.encoder.externalData ?? []) await services.storage.put(`models/${encoderSha}/${side.path}`, side.data);
  await services.storage.put(decoderKey, request.decoder.model, { contentType: "application/octet-stream" });
  for (const side of request.decoder.externalData ?? []) await services.storage.put(`models/${decoderSha}/${side.path}`, side.data);
  let decoderThroughputKey: string | null = null;
  if (request.decoderThroughput) {
    const info = inspectThroughput(request.decoderThroughput);
    if (info.sam.embeddingShape?.some((d, i) => d !== pair.embeddingShape[i])) {
      throw new ModelError("the throughput decoder takes a different image_embeddings shape than the decoder");
    }
    decoderThroughputKey = `models/${decoderSha}/decoder-throughput.onnx`;
    await services.storage.put(decoderThroughputKey, request.decoderThroughput, { contentType: "application/octet-stream" });
  }

  const existing = await services.prisma.modelVersion.findFirst({
    where: { encoderSha256: encoderSha, decoderSha256: decoderSha, projectId: request.projectId ?? null, name: request.name },
  });
  if (existing) return existing;
  return services.prisma.modelVersion.create({
    data: {
      name: request.name,
      architecture: request.architecture ?? pair.encoder.metadata["sam.config"] ?? pair.encoder.metadata["sam_config"] ?? "imported",
      source: request.source,
      encoderKey,
      decoderKey,
      decoderThroughputKey,
      encoderSha256: encoderSha,
      decoderSha256: decoderSha,
      projectId: request.projectId ?? null,
      createdById: request.createdById ?? null,
      parentId: request.parentId ?? null,
      status: "CANDIDATE",
      config: {
        embeddingShape: pair.embeddingShape,
        inputSize: pair.inputSize,
        encoderInputForm: pair.encoder.sam.encoderInputForm ?? null,
        encoderParameters: pair.encoder.parameterCount,
        decoderParameters: pair.decoder.parameterCount,
        encoderExternalData: (request.encoder.externalData ?? []).map((f) => f.path),
        decoderExternalData: (request.decoder.externalData ?? []).map((f) => f.path),
        ...request.config,
      },
    },
  });
}
