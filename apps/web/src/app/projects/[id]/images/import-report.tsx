"use client";
// One import followed live: the ingest job's progress while it runs, then what became of each file
// (imported, duplicate, rejected with the reason), with the files refused at upload listed beside them.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect } from "react";
import { useTRPC } from "@/client/trpc.tsx";

const ACTIVE = new Set(["QUEUED", "RUNNING"]);
const LABEL = { imported: "imported", duplicate: "duplicate", rejected: "rejected", pending: "waiting" } as const;
const BADGE = { imported: "SUCCEEDED", duplicate: "SKIPPED", rejected: "FAILED", pending: "QUEUED" } as const;

/** A file the server refused before it reached the job (not an image, too large). */
export interface RefusedFile {
  name: string;
  message: string;
}

export function ImportReport({ projectId, jobId, refused = [] }: { projectId: string; jobId: string | null; refused?: RefusedFile[] }) {
  const trpc = useTRPC();
  const report = useQuery({
    ...trpc.ingest.get.queryOptions({ projectId, jobId: jobId ?? "" }),
    enabled: jobId !== null,
    refetchInterval: (q) => (!q.state.data || ACTIVE.has(q.state.data.job.status) ? 1_000 : false),
  });
  const queryClient = useQueryClient();
  const status = report.data?.job.status;
  // The recent-imports list polls slowly; bring it up to date when this import ends.
  useEffect(() => {
    if (status && !ACTIVE.has(status)) void queryClient.invalidateQueries({ queryKey: trpc.ingest.list.queryKey() });
  }, [status, queryClient, trpc]);
  if (jobId === null && refused.length === 0) return null;
  const data = report.data;
  const counts = {
    imported: data?.counts.imported ?? 0,
    duplicate: data?.counts.duplicate ?? 0,
    rejected: (data?.counts.rejected ?? 0) + refused.length,
  };
  const job = data?.job;
  const running = jobId !== null && (!job || ACTIVE.has(job.status));
  const files = [
    ...refused.map((f) => ({ key: `refused:${f.name}`, name: f.name, outcome: "rejected" as const, message: `${f.message} (refused at upload)`, imageId: null })),
    ...(data?.files ?? []),
  ];

  return (
    <section className="panel stack" data-testid="import-report" data-status={job?.status ?? (jobId ? "QUEUED" : "NONE")}>
      <div className="row">
        <h2 style={{ margin: 0 }}>{data ? `Import from ${data.source.label}` : jobId ? "Import" : "Upload"}</h2>
        {job && <span className={`badge ${job.status}`}>{job.status.toLowerCase()}</span>}
      </div>
      {report.error && <p className="error" role="alert">{report.error.message}</p>}
      {running && (
        <div className="row">
          <div className="progress" role="progressbar" aria-label="Import progress" aria-valuenow={job?.progress ?? 0} aria-valuemin={0} aria-valuemax={100}>
            <div style={{ width: `${job?.progress ?? 0}%` }} />
          </div>
          <span className="muted">{job?.progressMessage ?? "waiting for the worker…"}</span>
        </div>
      )}
      {job?.error && <p className="error" role="alert">The import failed: {job.error}</p>}
      <p data-testid="import-summary" role="status">
        <strong>{counts.imported}</strong> imported · <strong>{counts.duplicate}</strong> {counts.duplicate === 1 ? "duplicate" : "duplicates"} ·{" "}
        <strong>{counts.rejected}</strong> rejected{running ? " so far" : ""}
      </p>
      {job?.result?.embedJobId && (
        <p className="muted">
          Embeddings of the new images are queued with the project&apos;s active model (<Link href="/admin/jobs">jobs</Link>).
        </p>
      )}
      {files.length > 0 && (
        <table data-testid="import-files">
          <thead><tr><th>File</th><th>Outcome</th><th>Details</th></tr></thead>
          <tbody>
            {files.map((f) => (
              <tr key={f.key} data-testid="import-file" data-outcome={f.outcome}>
                <td>{f.outcome === "imported" && f.imageId ? <Link href={`/projects/${projectId}/annotate/${f.imageId}`}>{f.name}</Link> : f.name}</td>
                <td><span className={`badge ${BADGE[f.outcome]}`}>{LABEL[f.outcome]}</span></td>
                <td className={f.outcome === "rejected" ? "error" : "muted"}>{f.message ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data?.truncated && <p className="muted">Showing the first {data.files.length} files (rejected and duplicates first).</p>}
    </section>
  );
}

/** The project's recent imports; choosing one shows its report. */
export function RecentImports({ projectId, onShow }: { projectId: string; onShow: (jobId: string) => void }) {
  const trpc = useTRPC();
  const list = useQuery({
    ...trpc.ingest.list.queryOptions({ projectId }),
    refetchInterval: (q) => (q.state.data?.some((j) => ACTIVE.has(j.status)) ? 2_000 : 15_000),
  });
  if (!list.data || list.data.length === 0) return null;
  return (
    <>
      <h2>Recent imports</h2>
      <table data-testid="recent-imports">
        <thead><tr><th>Started</th><th>Source</th><th>Status</th><th>Outcome</th><th /></tr></thead>
        <tbody>
          {list.data.map((j) => (
            <tr key={j.id}>
              <td>{j.createdAt.toLocaleString()}</td>
              <td>{j.source}</td>
              <td><span className={`badge ${j.status}`}>{j.status.toLowerCase()}</span></td>
              <td className={j.error ? "error" : "muted"}>{j.error ?? j.summary ?? j.progressMessage ?? `${j.progress}%`}</td>
              <td><button type="button" className="secondary" onClick={() => onShow(j.id)}>Show files</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
