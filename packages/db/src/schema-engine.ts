// Loads Prisma's official WASM schema engine (@prisma/schema-engine-wasm) in plain Node.
//
// The package is a wasm-bindgen "bundler" build: its entry module imports the `.wasm` file as an ES
// module, which Node cannot do. We import the JS glue instead, instantiate the sibling `.wasm` with the
// glue as its import object and hand the instance back to the glue. The glue keeps the instance in
// module state, so it is instantiated once per process (the promise is kept on globalThis because
// bundlers such as Next.js may load this module more than once).
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import * as glue from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { SchemaEngine } from "@prisma/schema-engine-wasm/schema_engine_bg";
import { resolveDependency } from "./paths.ts";

export type { SchemaEngine };
export type {
  MigrationList,
  SchemaFilter,
  SchemaContainer,
} from "@prisma/schema-engine-wasm/schema_engine_bg";

interface WasmExports {
  __wbindgen_start(): void;
}

// The repository compiles without the DOM lib, and @types/node 20 does not declare WebAssembly.
interface WebAssemblyApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: unknown } }>;
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

const loaderKey = Symbol.for("@data-engine/db/schema-engine-wasm");
type GlobalWithLoader = typeof globalThis & { [loaderKey]?: Promise<void> };

function wasmPath(): string {
  return join(
    dirname(resolveDependency("@prisma/schema-engine-wasm/schema_engine_bg")),
    "schema_engine_bg.wasm",
  );
}

async function instantiate(): Promise<void> {
  const bytes = await readFile(wasmPath());
  const imports: Record<string, unknown> = { ...glue };
  // The engine races each database call against a timer (lock and connect timeouts) and never clears
  // it; left referenced, those timers keep a finished CLI process alive for ~10 s.
  for (const name of Object.keys(imports).filter((key) => key.startsWith("__wbg_setTimeout_"))) {
    imports[name] = (callback: () => void, ms: number) => {
      const timer = setTimeout(callback, ms >>> 0);
      timer.unref();
      return timer;
    };
  }
  const { instance } = await webAssembly.instantiate(bytes, { "./schema_engine_bg.js": imports });
  const exports = instance.exports as unknown as WasmExports;
  glue.__wbg_set_wasm(exports);
  exports.__wbindgen_start();
}

function ensureLoaded(): Promise<void> {
  const g = globalThis as GlobalWithLoader;
  g[loaderKey] ??= instantiate().catch((error: unknown) => {
    delete g[loaderKey];
    throw error;
  });
  return g[loaderKey];
}

/** Engine log lines the caller may want (warnings and errors); the engine emits JSON strings. */
export type EngineLog = (line: string) => void;

export const emptyFilters = { externalTables: [], externalEnums: [] };

/**
 * A schema engine bound to one database through a driver adapter factory. `schemaText` is only needed
 * for operations that read the Prisma schema (createMigration, diff); applying migrations does not.
 * Call `free()` when done.
 */
export async function createSchemaEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  options: { schemaPath?: string; schemaText?: string; log?: EngineLog } = {},
): Promise<SchemaEngine> {
  await ensureLoaded();
  const datamodels: [string, string][] | undefined =
    options.schemaPath !== undefined && options.schemaText !== undefined
      ? [[options.schemaPath, options.schemaText]]
      : undefined;
  const log = options.log ?? (() => {});
  return glue.SchemaEngine.new({ datamodels }, log, bindMigrationAwareSqlAdapterFactory(adapterFactory));
}

export function schemaEngineVersion(): string {
  return glue.version();
}
