"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/client/trpc.tsx";

const ACTIVE = new Set(["QUEUED", "RUNNING"]);

/** Polls every 2 s while something is queued or running, every 10 s otherwise. */
export function JobsTable() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const jobs = useQuery({
    ...trpc.jobs.list.queryOptions({ limit: 100 }),
    refetchInterval: (query) => (query.state.data?.some((j) => ACTIVE.has(j.status)) ? 2_000 : 10_000),
  });
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.jobs.list.queryKey() });
  const cancel = useMutation(trpc.jobs.cancel.mutationOptions({ onSettled: invalidate }));
  const retry = useMutation(trpc.jobs.retry.mutationOptions({ onSettled: invalidate }));
  const error = jobs.error ?? cancel.error ?? retry.error;

  if (jobs.isPending) return <p className="muted">Loading jobs…</p>;
  return (
    <>
      {error && <p className="error" role="alert">{error.message}</p>}
      {jobs.data && jobs.data.length === 0 ? (
        <p className="muted">No jobs yet.</p>
      ) : (
        <table data-testid="jobs">
          <thead><tr><th>Type</th><th>Project</th><th>Status</th><th>Progress</th><th>Created</th><th /></tr></thead>
          <tbody>
            {jobs.data?.map((j) => (
              <tr key={j.id}>
                <td>{j.type.toLowerCase()}</td>
                <td>{j.project?.name ?? "—"}</td>
                <td><span className={`badge ${j.status}`}>{j.status.toLowerCase()}</span>{j.error && <div className="error" title={j.error}>{j.error.slice(0, 80)}</div>}</td>
                <td>
                  <div className="progress" role="progressbar" aria-valuenow={j.progress} aria-valuemin={0} aria-valuemax={100}><div style={{ width: `${j.progress}%` }} /></div>
                  <span className="muted">{j.progressMessage ?? `${j.progress}%`}</span>
                </td>
                <td>{j.createdAt.toLocaleString()}</td>
                <td>
                  {ACTIVE.has(j.status) && <button type="button" className="danger" disabled={cancel.isPending} onClick={() => cancel.mutate({ jobId: j.id })}>Cancel</button>}
                  {["FAILED", "DEAD", "CANCELLED"].includes(j.status) && <button type="button" className="secondary" disabled={retry.isPending} onClick={() => retry.mutate({ jobId: j.id })}>Retry</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
