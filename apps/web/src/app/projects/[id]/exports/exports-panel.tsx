"use client";
// Exports: start one (admins), follow its job live, list the dataset versions with their counts and
// checksum, and download a finished archive through a short-lived signed link.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/client/trpc.tsx";
import { StartExportForm } from "./start-export-form.tsx";

const ACTIVE_JOB = new Set(["QUEUED", "RUNNING"]);
const ACTIVE_DATASET = new Set(["PENDING", "BUILDING"]);

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function describeOptions(options: unknown): string {
  const o = (options ?? {}) as { formats?: string[]; polygons?: boolean; pngMasks?: boolean; includeImages?: boolean; layout?: string };
  const parts = (o.formats ?? []).map((f) => (f === "sa1b" ? "SA-1B" : f.toUpperCase()));
  if (o.polygons) parts.push("polygons");
  if (o.pngMasks) parts.push("PNG masks");
  if (o.includeImages) parts.push("images");
  if (o.layout === "folder") parts.push("folder");
  return parts.join(", ");
}

export function ExportsPanel({
  projectId, canStart, labels, models,
}: {
  projectId: string; canStart: boolean; labels: { id: string; name: string; color: string }[]; models: { id: string; name: string }[];
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [links, setLinks] = useState<Record<string, { url: string; sizeBytes: number; fileName: string; expiresAt: Date } | { error: string }>>({});
  const pending = useQuery({
    ...trpc.exports.pendingJobs.queryOptions({ projectId }),
    refetchInterval: (q) => (q.state.data?.some((j) => ACTIVE_JOB.has(j.status)) ? 1_500 : 10_000),
  });
  const list = useQuery({
    ...trpc.exports.list.queryOptions({ projectId }),
    refetchInterval: (q) =>
      q.state.data?.some((d) => ACTIVE_DATASET.has(d.status)) || pending.data?.some((j) => ACTIVE_JOB.has(j.status)) ? 1_500 : 10_000,
  });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.exports.pendingJobs.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.exports.list.queryKey() });
  };

  const download = async (datasetVersionId: string) => {
    try {
      const link = await queryClient.fetchQuery({ ...trpc.exports.downloadUrl.queryOptions({ projectId, datasetVersionId }), staleTime: 0, gcTime: 0 });
      setLinks((l) => ({ ...l, [datasetVersionId]: link }));
      const a = document.createElement("a");
      a.href = link.url;
      a.download = link.fileName;
      document.body.append(a);
      a.click();
      a.remove();
    } catch (err) {
      setLinks((l) => ({ ...l, [datasetVersionId]: { error: (err as Error).message } }));
    }
  };

  const waiting = (pending.data ?? []).filter((j) => j.status !== "SUCCEEDED");
  return (
    <>
      {canStart && <StartExportForm projectId={projectId} labels={labels} models={models} onStarted={refresh} />}

      <h2>Dataset versions</h2>
      {list.error && <p className="error" role="alert">{list.error.message}</p>}
      {waiting.length > 0 && (
        <table data-testid="export-jobs" style={{ marginBottom: "1rem" }}>
          <thead><tr><th>Export job</th><th>Status</th><th>Progress</th><th>Queued</th></tr></thead>
          <tbody>
            {waiting.map((j) => (
              <tr key={j.id}>
                <td>{String((j.params as { name?: unknown })?.name ?? j.id)}</td>
                <td><span className={`badge ${j.status}`}>{j.status.toLowerCase()}</span>{j.error && <div className="error">{j.error}</div>}</td>
                <td>{j.progressMessage ?? `${j.progress}%`}</td>
                <td>{j.createdAt.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data && list.data.length === 0 ? (
        <p className="muted">No exports yet.</p>
      ) : (
        <table data-testid="exports">
          <thead><tr><th>Name</th><th>Status</th><th>Images</th><th>Masks</th><th>Contents</th><th>Checksum</th><th>Created</th><th /></tr></thead>
          <tbody>
            {list.data?.map((d) => {
              const link = links[d.id];
              const job = d.job;
              return (
                <tr key={d.id} data-testid="export-row" data-status={d.status}>
                  <td>{d.name}</td>
                  <td>
                    <span className={`badge ${d.status === "READY" ? "SUCCEEDED" : d.status === "FAILED" ? "FAILED" : "RUNNING"}`}>{d.status.toLowerCase()}</span>
                    {job && ACTIVE_JOB.has(job.status) && (
                      <div>
                        <div className="progress" role="progressbar" aria-valuenow={job.progress} aria-valuemin={0} aria-valuemax={100}><div style={{ width: `${job.progress}%` }} /></div>
                        <span className="muted">{job.progressMessage ?? `${job.progress}%`}</span>
                      </div>
                    )}
                    {job && (job.status === "FAILED" || job.status === "DEAD") && <div className="error">job {job.status.toLowerCase()}</div>}
                  </td>
                  <td>{d.imageCount}</td>
                  <td>{d.maskCount}</td>
                  <td>{describeOptions(d.options)}</td>
                  <td><code title={d.checksum ?? undefined}>{d.checksum ? `${d.checksum.slice(0, 12)}…` : "—"}</code></td>
                  <td>{d.createdAt.toLocaleString()}</td>
                  <td>
                    {d.status === "READY" && (
                      <button type="button" className="secondary" onClick={() => void download(d.id)} data-testid="export-download">Download</button>
                    )}
                    {link && "url" in link && (
                      <div>
                        <a href={link.url} download={link.fileName} data-testid="export-link">{link.fileName}</a>{" "}
                        <span className="muted">({formatBytes(link.sizeBytes)}, link valid until {link.expiresAt.toLocaleTimeString()})</span>
                      </div>
                    )}
                    {link && "error" in link && <div className="error" role="alert">{link.error}</div>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
