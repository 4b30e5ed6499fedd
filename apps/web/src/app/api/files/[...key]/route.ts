import { serveSignedFile } from "@/server/files/serve-file.ts";
import { getWebRuntime } from "@/server/runtime.ts";

export const dynamic = "force-dynamic";

export async function GET(req: Request, context: { params: Promise<{ key: string[] }> }): Promise<Response> {
  const { key } = await context.params;
  return serveSignedFile(getWebRuntime(), key.join("/"), new URL(req.url).searchParams.get("token"));
}
