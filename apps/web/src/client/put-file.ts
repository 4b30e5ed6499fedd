// Sends one file as the raw body of a PUT with XMLHttpRequest (fetch has no upload progress), so the
// server can stream it wherever it goes whatever its size. The upload routes answer 200 with JSON, or
// `{ error }` with a message for the page.
export function putFile<T>(url: string, file: File, onProgress: (e: ProgressEvent) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.responseType = "json";
    xhr.upload.onprogress = onProgress;
    xhr.onload = () => {
      const body = xhr.response as (T & { error?: string }) | null;
      if (xhr.status === 200 && body) resolve(body);
      else reject(new Error(body?.error ?? `the upload of ${file.name} failed (HTTP ${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error(`the upload of ${file.name} was interrupted (network error)`));
    xhr.send(file);
  });
}
