// Sends one model file to /api/uploads/models as the raw body, so the server streams it to disk whatever
// its size, reporting upload progress.
import { putFile } from "@/client/put-file.ts";

export interface UploadedModelFile {
  uploadId: string;
  bytes: number;
  description: string;
}

export function uploadModelFile(file: File, role: "encoder" | "decoder", onProgress: (fraction: number) => void): Promise<UploadedModelFile> {
  return putFile(`/api/uploads/models?role=${role}&name=${encodeURIComponent(file.name)}`, file, (e) => {
    if (e.lengthComputable) onProgress(e.loaded / e.total);
  });
}
