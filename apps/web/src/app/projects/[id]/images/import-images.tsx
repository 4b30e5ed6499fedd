"use client";
// Importing images into a project: many files uploaded from this browser (per-file and total progress;
// the server refuses non-images and oversized files at once), or a folder on the server or an S3 prefix
// read by the worker. Either way the worker's ingest job does the import, followed live below.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/client/trpc.tsx";
import { formatBytes } from "@/format-bytes.ts";
import { ImportReport, RecentImports, type RefusedFile } from "./import-report.tsx";
import { eachLimited, newBatchId, uploadImage } from "./upload-images.ts";

/** Labels stack their text above the field; a radio or checkbox sits beside its text. */
const INLINE = { flexDirection: "row" } as const;

/** Files sent at once: enough to hide per-request latency, few enough to show steady progress. */
const PARALLEL_UPLOADS = 3;

type FileState = { loaded: number; status: "waiting" | "uploading" | "uploaded" | "refused"; message?: string };

/** The message of a failed call; for rejected input, zod's field messages ("source.path: must be an absolute path"). */
function messageOf(err: unknown): string {
  const issues = (err as { data?: { zodIssues?: { path: string; message: string }[] | null } }).data?.zodIssues;
  if (issues?.length) return issues.map((i) => `${i.path.replace(/^source\./, "")}: ${i.message}`).join("; ");
  return err instanceof Error ? err.message : String(err);
}

function Bar({ fraction, label }: { fraction: number; label: string }) {
  const pct = Math.round(100 * Math.min(1, fraction));
  return (
    <span className="row">
      <span className="progress" role="progressbar" aria-label={label} aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
        <div style={{ width: `${pct}%` }} />
      </span>
      {pct}%
    </span>
  );
}

export function ImportImages({ projectId, maxFileBytes }: { projectId: string; maxFileBytes: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const start = useMutation(trpc.ingest.start.mutationOptions({
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.ingest.list.queryKey() }),
  }));
  const [files, setFiles] = useState<File[]>([]);
  const [states, setStates] = useState<FileState[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [followed, setFollowed] = useState<{ jobId: string | null; refused: RefusedFile[] } | null>(null);
  const [from, setFrom] = useState<"folder" | "s3">("folder");
  const [folder, setFolder] = useState({ path: "", recursive: true });
  const [s3, setS3] = useState({ bucket: "", prefix: "" });

  const patch = (i: number, next: Partial<FileState>) => setStates((s) => s.map((st, j) => (j === i ? { ...st, ...next } : st)));
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const loadedBytes = states.reduce((n, s, i) => n + (s.status === "refused" ? files[i]!.size : s.loaded), 0);

  async function uploadAndImport() {
    setError(null);
    setBusy(true);
    setFollowed(null);
    const batchId = newBatchId();
    const refused: RefusedFile[] = [];
    let uploaded = 0;
    setStates(files.map(() => ({ loaded: 0, status: "waiting" })));
    try {
      await eachLimited(files, PARALLEL_UPLOADS, async (file, i) => {
        if (file.size > maxFileBytes) {
          // The server would refuse it too (413); no need to send it.
          const message = `${file.name} is ${formatBytes(file.size)}, more than the ${formatBytes(maxFileBytes)} an image may have`;
          refused.push({ name: file.name, message });
          return patch(i, { status: "refused", message });
        }
        patch(i, { status: "uploading" });
        try {
          await uploadImage({ projectId, batchId, index: i }, file, (loaded) => patch(i, { loaded }));
          uploaded++;
          patch(i, { status: "uploaded", loaded: file.size });
        } catch (err) {
          const message = (err as Error).message;
          refused.push({ name: file.name, message });
          patch(i, { status: "refused", message });
        }
      });
      if (uploaded === 0) {
        setFollowed({ jobId: null, refused });
        setError("No file was accepted: nothing to import.");
        return;
      }
      const { jobId } = await start.mutateAsync({ projectId, source: { kind: "upload", batchId } });
      setFollowed({ jobId, refused });
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  async function importFromServer() {
    setError(null);
    try {
      const source = from === "folder"
        ? { kind: "folder" as const, path: folder.path.trim(), recursive: folder.recursive }
        : { kind: "s3" as const, bucket: s3.bucket.trim() || undefined, prefix: s3.prefix.trim() };
      const { jobId } = await start.mutateAsync({ projectId, source });
      setFollowed({ jobId, refused: [] });
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <>
      <form className="panel stack" data-testid="upload-images" onSubmit={(e) => { e.preventDefault(); void uploadAndImport(); }}>
        <h2 style={{ marginTop: 0 }}>Upload from this computer</h2>
        <p className="muted">JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF, up to {formatBytes(maxFileBytes)} each. Each image is stored as 8-bit RGB with its EXIF orientation applied; an image already in the project is skipped as a duplicate.</p>
        <div className="row">
          <label>
            Images
            <input type="file" multiple accept="image/*" aria-label="Image files" disabled={busy} onChange={(e) => {
              setFiles([...(e.target.files ?? [])]);
              setStates([]);
            }} />
          </label>
          <button type="submit" disabled={files.length === 0 || busy}>{busy ? "Uploading…" : `Upload and import${files.length ? ` ${files.length} files` : ""}`}</button>
        </div>
        {states.length > 0 && (
          <>
            <div className="row" data-testid="upload-total">
              <span>Total: {formatBytes(Math.min(loadedBytes, totalBytes))} of {formatBytes(totalBytes)}</span>
              <Bar fraction={totalBytes ? loadedBytes / totalBytes : 1} label="Total upload progress" />
            </div>
            <table data-testid="upload-files">
              <thead><tr><th>File</th><th>Size</th><th>Upload</th></tr></thead>
              <tbody>
                {files.map((f, i) => {
                  const st = states[i];
                  if (!st) return null;
                  return (
                    <tr key={i} data-testid="upload-file" data-status={st.status}>
                      <td>{f.name}</td>
                      <td>{formatBytes(f.size)}</td>
                      <td>
                        {st.status === "refused" ? <span className="error">{st.message}</span>
                          : st.status === "waiting" ? <span className="muted">waiting</span>
                          : <Bar fraction={f.size ? st.loaded / f.size : 1} label={`Upload of ${f.name}`} />}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </>
        )}
      </form>

      <form className="panel stack" data-testid="import-from-server" onSubmit={(e) => { e.preventDefault(); void importFromServer(); }}>
        <h2 style={{ marginTop: 0 }}>Import from the server</h2>
        <div className="row">
          <label className="row" style={INLINE}><input type="radio" checked={from === "folder"} onChange={() => setFrom("folder")} /> A folder on the worker&apos;s machine</label>
          <label className="row" style={INLINE}><input type="radio" checked={from === "s3"} onChange={() => setFrom("s3")} /> An S3 prefix</label>
        </div>
        {from === "folder" ? (
          <div className="row">
            <label>Folder <input value={folder.path} onChange={(e) => setFolder({ ...folder, path: e.target.value })} placeholder="/data/photos" aria-label="Folder path" size={40} /></label>
            <label className="row" style={INLINE}><input type="checkbox" checked={folder.recursive} onChange={(e) => setFolder({ ...folder, recursive: e.target.checked })} /> with subfolders</label>
          </div>
        ) : (
          <div className="row">
            <label>Bucket <input value={s3.bucket} onChange={(e) => setS3({ ...s3, bucket: e.target.value })} placeholder="the product's bucket" aria-label="Bucket" /></label>
            <label>Prefix <input value={s3.prefix} onChange={(e) => setS3({ ...s3, prefix: e.target.value })} placeholder="incoming/2024/" aria-label="Prefix" size={30} /></label>
          </div>
        )}
        <p className="muted">{from === "folder" ? "Read by the worker, with its permissions." : "Read with the S3_* settings' endpoint and credentials; without a bucket, from the product's own bucket (under S3_PREFIX)."}</p>
        <div><button type="submit" disabled={start.isPending || (from === "folder" && !folder.path.trim())}>Import</button></div>
      </form>

      {error && <p className="error" role="alert">{error}</p>}
      {followed && <ImportReport projectId={projectId} jobId={followed.jobId} refused={followed.refused} />}
      <RecentImports projectId={projectId} onShow={(jobId) => setFollowed({ jobId, refused: [] })} />
    </>
  );
}
