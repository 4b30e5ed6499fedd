// Loads a model version's ONNX files from storage into a predictor, once per process per version.
import { SamPredictor, createNodeBackend } from "@data-engine/sam-core/node";
import type { Services } from "../services.ts";
import { ModelError } from "../errors.ts";
import { embeddingModelId } from "./embedding-identity.ts";

const CACHE_KEY = Symbol.for("@data-engine/worker.predictors");
type Cache = Map<string, Promise<SamPredictor>>;

function cache(): Cache {
  const g = globalThis as typeof globalThis & { [CACHE_KEY]?: Cache };
  g[CACHE_KEY] ??= new Map();
  return g[CACHE_KEY]!;
}

export async function loadPredictor(services: Services, modelVersionId: string): Promise<SamPredictor> {
  const predictors = cache();
  let loading = predictors.get(modelVersionId);
  if (!loading) {
    loading = (async () => {
      const model = await services.prisma.modelVersion.findUnique({ where: { id: modelVersionId } });
      if (!model) throw new ModelError(`No model version with id "${modelVersionId}"`);
      const config = (model.config ?? {}) as { encoderExternalData?: string[]; decoderExternalData?: string[] };
      const read = async (key: string) => {
        const bytes = await services.storage.getBytes(key);
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      };
      const side = (modelKey: string, names: string[] | undefined) => {
        const dir = modelKey.slice(0, modelKey.lastIndexOf("/") + 1);
        return Promise.all((names ?? []).map(async (name) => ({ path: name, data: await read(dir + name) })));
      };
      const [encoder, decoder, encoderExternalData, decoderExternalData] = await Promise.all([
        read(model.encoderKey),
        read(model.decoderKey),
        side(model.encoderKey, config.encoderExternalData),
        side(model.decoderKey, config.decoderExternalData),
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
    })();
    predictors.set(modelVersionId, loading);
    loading.catch(() => predictors.delete(modelVersionId));
  }
  return loading;
}

/** Frees every cached predictor (tests, shutdown). */
export async function releasePredictors(): Promise<void> {
  const predictors = cache();
  const all = [...predictors.values()];
  predictors.clear();
  await Promise.all(all.map(async (p) => (await p.catch(() => null))?.release()));
}
