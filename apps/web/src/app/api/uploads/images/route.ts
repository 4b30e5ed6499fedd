import { handleImageUpload } from "@/server/files/image-uploads.ts";
import { getWebRuntime } from "@/server/runtime.ts";

export const dynamic = "force-dynamic";

// Image files from a project's Images page (see handleImageUpload).
export function PUT(req: Request): Promise<Response> {
  return handleImageUpload(getWebRuntime(), req);
}
