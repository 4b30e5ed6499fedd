// Loads the decoder automatic generation runs, once per process per model version: the batched
// throughput export when the model has one (B prompts per run), else the public export (one per run).
import { createOrtAmgDecoder, type OrtAmgDecoder } from "@data-engine/sam-core";
import { createNodeBackend } from "@data-engine/sam-core/node";
import type { Services } from "../services.ts";
import { ModelError } from "../errors.ts";

const CACHE_KEY = Symbol.for("@data-engine/worker.amgDecoders");
type Cache = Map<string, Promise<OrtAmgDecoder>>;

function cache(): Cache {
  const g = globalThis as typeof globalThis & { [CACHE_KEY]?: Cache };
  g[CACHE_KEY] ??= new Map();
  return g[CACHE_KEY]!;
}

/** The storage key of the decoder generation should use, and its external data files. */
export async function amgDecoderFiles(services: Services, modelVersionId: string): Promise<{ key: string; externalData: string[] }> {
  const model = await services.prisma.modelVersion.findUnique({ where: { id: modelVersionId } });
  if (!model) throw new ModelError(`No model version with id "${modelVersionId}"`);
  const config = (model.config ?? {}) as { decoderExternalData?: string[]; decoderThroughputExternalData?: string[] };
  if (model.decoderThroughputKey) return { key: model.decoderThroughputKey, externalData: config.decoderThroughputExternalData ?? [] };
  return { key: model.decoderKey, externalData: config.decoderExternalData ?? [] };
}

async function readBytes(services: Services, key: string): Promise<Uint8Array> {
  const bytes = await services.storage.getBytes(key);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export async function loadAmgDecoder(services: Services, modelVersionId: string): Promise<OrtAmgDecoder> {
  const decoders = cache();
  let loading = decoders.get(modelVersionId);
  if (!loading) {
    loading = (async () => {
      const files = await amgDecoderFiles(services, modelVersionId);
      const dir = files.key.slice(0, files.key.lastIndexOf("/") + 1);
      const [decoder, externalData] = await Promise.all([
        readBytes(services, files.key),
        Promise.all(files.externalData.map(async (name) => ({ path: name, data: await readBytes(services, dir + name) }))),
      ]);
      return createOrtAmgDecoder({ backend: createNodeBackend(), decoder, externalData, modelId: modelVersionId });
    })();
    decoders.set(modelVersionId, loading);
    loading.catch(() => decoders.delete(modelVersionId));
  }
  return loading;
}

/** Frees every cached generation decoder (tests, shutdown). */
export async function releaseAmgDecoders(): Promise<void> {
  const decoders = cache();
  const all = [...decoders.values()];
  decoders.clear();
  await Promise.all(all.map(async (d) => (await d.catch(() => null))?.release()));
}
