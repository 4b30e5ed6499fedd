import { handleModelUpload } from "@/server/files/model-uploads.ts";
import { getWebRuntime } from "@/server/runtime.ts";

export const dynamic = "force-dynamic";

// Model files from the admin console's upload form (see handleModelUpload).
export function PUT(req: Request): Promise<Response> {
  return handleModelUpload(getWebRuntime(), req);
}
