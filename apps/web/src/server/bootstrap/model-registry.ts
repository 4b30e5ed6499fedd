// The web app's model registration: thin calls into the worker's models module (owned there; not
// reimplemented here) and sam-core's inspect for single uploaded files.
import { inspectOnnx, requireRole } from "@data-engine/sam-core";
import { buildDemoModel, importModelFiles, type Services } from "@data-engine/worker";
import type { ModelRegistry } from "../runtime.ts";

class ModelError extends Error {
  override name = "ModelError";
}

export function describeModelFile(bytes: Uint8Array, role: "encoder" | "decoder"): string {
  try {
    const info = inspectOnnx(bytes, role);
    requireRole(info, role, `this file`);
    const sam = info.sam;
    const shape = sam.embeddingShape ? `embeddings [${sam.embeddingShape.join(",")}]` : "embedding shape not fixed";
    const params = `${(info.parameterCount / 1e6).toFixed(1)}M parameters`;
    return `SAM ${role}: ${shape}${sam.inputSize ? `, input ${sam.inputSize}` : ""}, ${params}`;
  } catch (error) {
    throw new ModelError(error instanceof Error ? error.message : String(error));
  }
}

export function createModelRegistry(services: Pick<Services, "prisma" | "storage">): ModelRegistry {
  // The models module only touches the database and storage of its services.
  const s = services as Services;
  return {
    importFiles: (request) => importModelFiles(s, request),
    buildDemo: (request) => buildDemoModel(s, request),
    describe: describeModelFile,
  };
}
