// Node entry: onnxruntime-node backend, sharp image decoding, and file helpers. The only module (with the
// CLI) that touches the file system.
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as ortNode from "onnxruntime-node";
import type { ExternalDataFile, OrtBackend, SessionOptions } from "./runtime/index.ts";
import { baseSessionOptions, createOrtBackend } from "./runtime/index.ts";
import type { OrtModuleLike } from "./runtime/index.ts";
import { assertExternalDataComplete, assertSafeExternalPath, externalDataLocations } from "./runtime/model-files.ts";

export * from "./index.ts";
export { decodeImage, decodeImageResized, readImageHeader, DEFAULT_MAX_PIXELS } from "./image/decode-node.ts";
export type { DecodeOptions, ImageHeader, ResizedDecode } from "./image/decode-node.ts";
export { lowRankWorkers } from "./amg/node/lowrank-pool.ts";
export type { LowRankWorkersOptions } from "./amg/node/lowrank-pool.ts";

let nodeBackend: OrtBackend | undefined;

/** The onnxruntime-node (native CPU) backend. */
export function createNodeBackend(): OrtBackend {
  nodeBackend ??= createOrtBackend({
    name: "onnxruntime-node",
    ort: ortNode as unknown as OrtModuleLike,
    sessionOptions: baseSessionOptions,
    load: loadWithExternalData,
  });
  return nodeBackend;
}

/*
 * onnxruntime-node cannot take external weights from memory: it resolves them next to a model *path*.
 * So a model with external data is staged in a private temporary folder, loaded by path, and removed
 * (the session keeps its own copy of the weights).
 */
async function loadWithExternalData(model: Uint8Array, opts: SessionOptions, ortOptions: Record<string, unknown>): Promise<unknown> {
  if (!opts.externalData?.length && externalDataLocations(model, opts.label).length === 0) {
    return ortNode.InferenceSession.create(model, ortOptions);
  }
  assertExternalDataComplete(model, opts.externalData, opts.label);
  const dir = await mkdtemp(join(tmpdir(), "sam-core-model-"));
  try {
    const modelPath = join(dir, "model.onnx");
    await writeFile(modelPath, model);
    for (const f of opts.externalData ?? []) {
      assertSafeExternalPath(f.path);
      const p = join(dir, f.path);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, f.data);
    }
    return await ortNode.InferenceSession.create(modelPath, ortOptions);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ModelFile {
  model: Uint8Array;
  externalData: ExternalDataFile[];
}

/** Reads an .onnx file and any external-data files it names (from the same folder). */
export async function readModelFile(path: string): Promise<ModelFile> {
  const model = new Uint8Array(await readFile(path));
  const externalData: ExternalDataFile[] = [];
  for (const loc of externalDataLocations(model, path)) {
    const p = join(dirname(path), loc);
    try {
      externalData.push({ path: loc, data: new Uint8Array(await readFile(p)) });
    } catch (err) {
      throw new Error(`${path} refers to external data file ${p}, which cannot be read: ${(err as Error).message}`);
    }
  }
  return { model, externalData };
}
