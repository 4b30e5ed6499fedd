import { serveOrtFile } from "@/server/files/ort-files.ts";
import { getWebRuntime } from "@/server/runtime.ts";

export const dynamic = "force-dynamic";

// onnxruntime-web's wasm binaries and their loader modules, for `env.wasm.wasmPaths = "/ort/"`.
export async function GET(_req: Request, context: { params: Promise<{ file: string }> }): Promise<Response> {
  const { file } = await context.params;
  return serveOrtFile(getWebRuntime().ortDistDir, file);
}
