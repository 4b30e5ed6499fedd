"use client";
// The data engine's loop for an administrator: the active model (with one-click rollback), a form to
// start a round on the accepted masks, and every round with its live progress, the held-out metrics of
// the base and the candidate side by side, and a Promote button offered only when the candidate won.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/client/trpc.tsx";
import { StartRoundForm } from "./start-round-form.tsx";

const ACTIVE = new Set(["QUEUED", "RUNNING"]);
const f3 = (v: number | null | undefined) => (typeof v === "number" ? v.toFixed(3) : "—");

interface Metrics { mIoU1Click: number; mIoUBox: number; mIoUClicks: number[]; iouCalibrationMae: number }

function Delta({ before, after }: { before: number | undefined; after: number | undefined }) {
  if (before === undefined || after === undefined) return <>{f3(after)}</>;
  const d = after - before;
  return (
    <>
      {f3(before)} → <strong>{f3(after)}</strong>{" "}
      <span className={d > 0 ? "ok" : d < 0 ? "error" : "muted"}>({d >= 0 ? "+" : ""}{d.toFixed(3)})</span>
    </>
  );
}

function MetricsCell({ base, after }: { base: Metrics | null; after: Metrics | null }) {
  if (!base && !after) return <span className="muted">—</span>;
  const last = (m: Metrics | null) => m?.mIoUClicks[m.mIoUClicks.length - 1];
  return (
    <dl className="metrics">
      <dt>1 click</dt><dd><Delta before={base?.mIoU1Click} after={after?.mIoU1Click} /></dd>
      <dt>box</dt><dd><Delta before={base?.mIoUBox} after={after?.mIoUBox} /></dd>
      <dt>{after?.mIoUClicks.length ?? base?.mIoUClicks.length} clicks</dt><dd><Delta before={last(base)} after={last(after)} /></dd>
      <dt>IoU calib. error</dt><dd><Delta before={base?.iouCalibrationMae} after={after?.iouCalibrationMae} /></dd>
    </dl>
  );
}

export function TrainingPanel({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery({
    ...trpc.training.list.queryOptions({ projectId }),
    refetchInterval: (q) => (q.state.data?.runs.some((r) => ACTIVE.has(r.status) || (r.job && ACTIVE.has(r.job.status))) ? 1_500 : 10_000),
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.training.list.queryKey() });
  const promote = useMutation(trpc.training.promote.mutationOptions({ onSettled: refresh }));
  const rollback = useMutation(trpc.training.rollback.mutationOptions({ onSettled: refresh }));
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const act = async (what: () => Promise<string>) => {
    setMessage(null);
    try {
      setMessage({ ok: true, text: await what() });
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    }
  };

  const data = list.data;
  return (
    <>
      {list.error && <p className="error" role="alert">{list.error.message}</p>}
      <section className="panel row" data-testid="active-model">
        <div>
          Active model: <strong>{data?.active?.name ?? "none"}</strong>
          {data?.active && <span className="muted"> · round {data.active.trainingRound} · {data.active.source.toLowerCase()}</span>}
        </div>
        {data?.canRollback && (
          <button
            type="button"
            className="secondary"
            data-testid="rollback"
            disabled={rollback.isPending}
            onClick={() => void act(async () => {
              const r = await rollback.mutateAsync({ projectId });
              return `Rolled back: the previous model is active again (${r.rolledBackId} archived)`;
            })}
          >
            Roll back
          </button>
        )}
      </section>
      {message && <p className={message.ok ? "ok" : "error"} role={message.ok ? "status" : "alert"}>{message.text}</p>}

      <StartRoundForm projectId={projectId} onStarted={refresh} />

      <h2>Rounds</h2>
      {data && data.runs.length === 0 && <p className="muted">No retraining round yet. Accept masks in the review queue, then start one above.</p>}
      {data && data.runs.length > 0 && (
        <table data-testid="rounds">
          <thead>
            <tr><th>Started</th><th>Status</th><th>Base → candidate</th><th>Snapshot</th><th>Held-out metrics (base → candidate)</th><th /></tr>
          </thead>
          <tbody>
            {data.runs.map((r) => (
              <tr key={r.id} data-testid="round-row" data-status={r.status}>
                <td>{r.createdAt.toLocaleString()}{r.external && <div className="muted">external trainer</div>}</td>
                <td>
                  <span className={`badge ${r.status}`}>{r.status.toLowerCase()}</span>
                  {r.job && ACTIVE.has(r.job.status) && (
                    <div>
                      <div className="progress" role="progressbar" aria-valuenow={r.job.progress} aria-valuemin={0} aria-valuemax={100}><div style={{ width: `${r.job.progress}%` }} /></div>
                      <span className="muted">{r.job.progressMessage ?? `${r.job.progress}%`}</span>
                    </div>
                  )}
                  {r.totalSteps > 0 && <div className="muted">step {r.step}/{r.totalSteps}{r.lastLoss !== null && ` · loss ${r.lastLoss.toFixed(4)}`}</div>}
                  {r.error && <div className="error">{r.error}</div>}
                </td>
                <td>
                  {r.baseModel.name}
                  {r.candidate && <> → <strong>{r.candidate.name}</strong> <span className={`badge ${r.candidate.status}`}>{r.candidate.isActive ? "active" : r.candidate.status.toLowerCase()}</span></>}
                </td>
                <td>{r.dataset.maskCount} masks on {r.dataset.imageCount} images{r.heldOutMasks !== null && <div className="muted">{r.heldOutMasks} held out</div>}</td>
                <td><MetricsCell base={r.baseMetrics} after={r.metrics} /></td>
                <td>
                  {r.candidate && !r.candidate.isActive && (
                    r.promotable ? (
                      <button
                        type="button"
                        data-testid="promote"
                        disabled={promote.isPending}
                        onClick={() => void act(async () => {
                          await promote.mutateAsync({ projectId, modelVersionId: r.candidate!.id });
                          return `"${r.candidate!.name}" is now the active model`;
                        })}
                      >
                        Promote
                      </button>
                    ) : (
                      r.whyNot && <span className="muted" data-testid="not-promotable">Not promotable: {r.whyNot}</span>
                    )
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
