// Loads the decoder automatic generation runs, once per process per model version: the batched
// throughput export when the model has one (B prompts per run), else the public export (one per run).
import { createOrtAmgDecoder, type OrtAmgDecoder } from "@data-engine/sam-core";
import { createNodeBackend, lowRankWorkers } from "@data-engine/sam-core/node";
import type { Services } from "../services.ts";
import { ModelError } from "../errors.ts";
import { processCache, readExternalData, readModelFile } from "./process-cache.ts";

const decoders = processCache<OrtAmgDecoder>("@data-engine/worker.amgDecoders");

/** The storage key of the decoder generation should use, and its external data files. */
export async function amgDecoderFiles(services: Services, modelVersionId: string): Promise<{ key: string; externalData: string[] }> {
  const model = await services.prisma.modelVersion.findUnique({ where: { id: modelVersionId } });
  if (!model) throw new ModelError(`No model version with id "${modelVersionId}"`);
  const config = (model.config ?? {}) as { decoderExternalData?: string[]; decoderThroughputExternalData?: string[] };
  if (model.decoderThroughputKey) return { key: model.decoderThroughputKey, externalData: config.decoderThroughputExternalData ?? [] };
  return { key: model.decoderKey, externalData: config.decoderExternalData ?? [] };
}

export function loadAmgDecoder(services: Services, modelVersionId: string): Promise<OrtAmgDecoder> {
  return decoders.get(modelVersionId, async () => {
    const files = await amgDecoderFiles(services, modelVersionId);
    const [decoder, externalData] = await Promise.all([readModelFile(services, files.key), readExternalData(services, files.key, files.externalData)]);
    // A throughput export's low-rank rebuild runs each batch's prompts split across worker threads
    // (one per core, one onnxruntime thread each: less CPU per prompt than one run on every core).
    return createOrtAmgDecoder({ backend: createNodeBackend(), decoder, externalData, modelId: modelVersionId, lowRankRunner: lowRankWorkers() });
  });
}

/** Frees every cached generation decoder (tests, shutdown). */
export function releaseAmgDecoders(): Promise<void> {
  return decoders.releaseAll();
}
