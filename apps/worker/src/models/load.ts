// Loads a model version's ONNX files from storage into a predictor, once per process per version.
import { SamPredictor, createNodeBackend } from "@data-engine/sam-core/node";
import type { Services } from "../services.ts";
import { ModelError } from "../errors.ts";
import { embeddingModelId } from "./embedding-identity.ts";
import { processCache, readExternalData, readModelFile } from "./process-cache.ts";

const predictors = processCache<SamPredictor>("@data-engine/worker.predictors");

export function loadPredictor(services: Services, modelVersionId: string): Promise<SamPredictor> {
  return predictors.get(modelVersionId, async () => {
    const model = await services.prisma.modelVersion.findUnique({ where: { id: modelVersionId } });
    if (!model) throw new ModelError(`No model version with id "${modelVersionId}"`);
    const config = (model.config ?? {}) as { encoderExternalData?: string[]; decoderExternalData?: string[] };
    const [encoder, decoder, encoderExternalData, decoderExternalData] = await Promise.all([
      readModelFile(services, model.encoderKey),
      readModelFile(services, model.decoderKey),
      readExternalData(services, model.encoderKey, config.encoderExternalData),
      readExternalData(services, model.decoderKey, config.decoderExternalData),
    ]);
    return SamPredictor.create({
      backend: createNodeBackend(),
      encoder,
      decoder,
      encoderExternalData,
      decoderExternalData,
      // Embeddings carry the id of the version whose encoder made them (shared by retrained versions).
      modelId: embeddingModelId(model),
    });
  });
}

/** Frees every cached predictor (tests, shutdown). */
export function releasePredictors(): Promise<void> {
  return predictors.releaseAll();
}
