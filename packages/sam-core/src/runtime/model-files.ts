import { inspectOnnx } from "../inspect/inspect.ts";
import type { ExternalDataFile } from "./backend.ts";
import { RuntimeError } from "./backend.ts";

/**
 * Checks that external-data locations are plain relative names inside the model's folder (ONNX requires
 * it; a path with ".." or an absolute path in a downloaded model must not read or write elsewhere).
 */
export function assertSafeExternalPath(location: string): void {
  if (!location || location.startsWith("/") || location.startsWith("\\") || /^[a-zA-Z]:/.test(location) || location.split(/[\\/]/).includes("..")) {
    throw new RuntimeError(`external data location "${location}" must be a relative path inside the model's folder`);
  }
}

/** External-data file names the model refers to (empty when self-contained). */
export function externalDataLocations(model: Uint8Array, label?: string): string[] {
  const names = inspectOnnx(model, label).externalDataFiles;
  names.forEach(assertSafeExternalPath);
  return names;
}

/** Verifies every external file the model names was provided. */
export function assertExternalDataComplete(model: Uint8Array, provided: readonly ExternalDataFile[] | undefined, label = "model"): void {
  const needed = externalDataLocations(model, label);
  const have = new Set((provided ?? []).map((f) => f.path));
  const missing = needed.filter((n) => !have.has(n));
  if (missing.length) {
    throw new RuntimeError(`${label} keeps its weights in external data file(s) ${missing.join(", ")} that were not provided (pass externalData: [{ path, data }])`);
  }
}
