// Imports a public SAM export pair (encoder + decoder .onnx, with any external-data files) from disk.
import { readModelFile } from "@data-engine/sam-core/node";
import type { ModelVersion } from "@data-engine/db";
import type { Services } from "../services.ts";
import { ModelError } from "../errors.ts";
import { registerModelVersion } from "./register.ts";

export interface ImportModelRequest {
  encoderPath: string;
  decoderPath: string;
  name: string;
  architecture?: string;
  projectId?: string | null;
  createdById?: string | null;
}

export async function importModelFiles(services: Services, request: ImportModelRequest): Promise<ModelVersion> {
  const read = async (file: string, what: string) => {
    try {
      return await readModelFile(file);
    } catch (error) {
      throw new ModelError(`cannot read the ${what} file ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const [encoder, decoder] = await Promise.all([read(request.encoderPath, "encoder"), read(request.decoderPath, "decoder")]);
  return registerModelVersion(services, {
    name: request.name,
    architecture: request.architecture,
    source: "IMPORTED",
    encoder,
    decoder,
    projectId: request.projectId,
    createdById: request.createdById,
  });
}
