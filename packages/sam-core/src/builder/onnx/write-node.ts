import { closeSync, openSync, readSync, writeFileSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { SamBuilderError } from "../errors.ts";
import type { ExternalDataReader } from "./read.ts";
import type { SerializedModel } from "./model.ts";

/**
 * Writes a serialized model to `path`; external weights go beside it under the name recorded in
 * the model (ONNX resolves external locations relative to the model file). Node only.
 */
export function writeSerializedModel(
  path: string,
  m: SerializedModel,
): { modelBytes: number; dataBytes: number } {
  writeFileSync(path, m.model);
  if (!m.external) return { modelBytes: m.model.byteLength, dataBytes: 0 };
  if (basename(m.external.fileName) !== m.external.fileName) {
    throw new SamBuilderError(`external data file name must not contain a directory: ${m.external.fileName}`);
  }
  const fd = openSync(join(dirname(path), m.external.fileName), "w");
  try {
    for (const chunk of m.external.chunks) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return { modelBytes: m.model.byteLength, dataBytes: m.external.byteLength };
}

/** Reads external tensor data relative to the directory of the model file at `modelPath`. */
export function externalReaderFor(modelPath: string): ExternalDataReader {
  return (location, offset, length) => {
    const buf = new Uint8Array(length);
    const fd = openSync(join(dirname(modelPath), location), "r");
    try {
      readSync(fd, buf, 0, length, offset);
    } finally {
      closeSync(fd);
    }
    return buf;
  };
}
