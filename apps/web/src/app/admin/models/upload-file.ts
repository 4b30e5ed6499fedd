// Sends one model file to /api/uploads/models with XMLHttpRequest (fetch has no upload progress), as the
// raw body so the server streams it to disk whatever its size.
export interface UploadedModelFile {
  uploadId: string;
  bytes: number;
  description: string;
}

export function uploadModelFile(file: File, role: "encoder" | "decoder", onProgress: (fraction: number) => void): Promise<UploadedModelFile> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `/api/uploads/models?role=${role}&name=${encodeURIComponent(file.name)}`);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      const body = xhr.response as (UploadedModelFile & { error?: string }) | null;
      if (xhr.status === 200 && body) resolve(body);
      else reject(new Error(body?.error ?? `the upload of ${file.name} failed (HTTP ${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error(`the upload of ${file.name} was interrupted (network error)`));
    xhr.send(file);
  });
}
