// The data engine's progress, as the paper tracked it: masks per stage over time, seconds per mask,
// masks per image, acceptance rate of automatic masks, model metrics per training round.
import Link from "next/link";
import { load, requireSession } from "@/server/page-session.ts";
import { ProjectTabs } from "../project-tabs.tsx";
import { BarChart } from "./bar-chart.tsx";
import { acceptanceSeries, cumulativeByStage, histogramBins, STAGE_NAMES, valueByStage } from "./chart-data.ts";
import { EmptyChart } from "./chart-frame.tsx";
import { LineChart } from "./line-chart.tsx";

type Props = { params: Promise<{ id: string }>; searchParams: Promise<{ bucket?: string }> };

const BUCKETS = ["day", "week", "month"] as const;
const METRIC_COLORS = ["#2457d6", "#e8871e", "#2a9d5c", "#b42318", "#911eb4", "#0f8b8d"];

type RoundMetrics = { oneClick: number; box: number; lastClick: number };

const pct = (v: number | null) => (v === null ? "—" : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? "—" : v.toFixed(d));

export default async function DashboardPage({ params, searchParams }: Props) {
  const { id } = await params;
  const { bucket: rawBucket } = await searchParams;
  const bucket = BUCKETS.find((b) => b === rawBucket) ?? "day";
  const { caller } = await requireSession(`/projects/${id}/dashboard`);
  const project = await load(caller.projects.get({ projectId: id }));
  const d = await load(caller.dashboard.summary({ projectId: id, bucket }));

  const count = (status: string) => d.statusCounts.filter((r) => r.status === status).reduce((a, r) => a + r.n, 0);
  const timed = d.secondsPerMask.byStage;
  const timedAll = timed.reduce((a, r) => a + r.n, 0);
  const meanSeconds = timedAll ? timed.reduce((a, r) => a + r.meanSeconds * r.n, 0) / timedAll : null;
  // Headline evaluation numbers only (metrics JSON also holds counts and the starter's training notes).
  const metricNames = [...new Set(d.models.flatMap((m) => Object.keys(m.numericMetrics)))].filter((n) => /(^|\.)(mIoU1Click|mIoUBox|iouCalibrationMae|miou)$/i.test(n)).sort();
  const withMetrics = d.models.filter((m) => Object.keys(m.numericMetrics).length > 0);

  return (
    <>
      <h1>{project.name}: dashboard</h1>
      <ProjectTabs projectId={id} role={project.myRole} current="/dashboard" />
      <nav className="row" aria-label="Time buckets" style={{ marginBottom: "0.75rem" }}>
        <span className="muted">Group by</span>
        {BUCKETS.map((b) => (
          <Link key={b} href={`/projects/${id}/dashboard${b === "day" ? "" : `?bucket=${b}`}`} aria-current={b === bucket ? "page" : undefined} style={{ fontWeight: b === bucket ? 700 : 400 }}>
            {b}
          </Link>
        ))}
      </nav>

      <div className="stats" data-testid="dashboard-stats">
        <div className="stat"><div className="n" data-testid="stat-masks">{count("PROPOSED") + count("ACCEPTED")}</div><div className="l">masks (proposed + accepted)</div></div>
        <div className="stat"><div className="n">{count("PROPOSED")}</div><div className="l">awaiting review</div></div>
        <div className="stat"><div className="n">{count("ACCEPTED")}</div><div className="l">accepted</div></div>
        <div className="stat"><div className="n">{count("REJECTED")}</div><div className="l">rejected</div></div>
        <div className="stat"><div className="n">{num(d.masksPerImage.mean)}</div><div className="l">masks per image ({d.masksPerImage.images} images)</div></div>
        <div className="stat"><div className="n">{num(meanSeconds)}</div><div className="l">seconds per mask (manual + assisted, mean)</div></div>
        <div className="stat"><div className="n" data-testid="stat-acceptance">{pct(d.autoAcceptance.rate)}</div><div className="l">automatic masks accepted ({d.autoAcceptance.accepted} / {d.autoAcceptance.accepted + d.autoAcceptance.rejected}; {d.autoAcceptance.fixed} fixed)</div></div>
      </div>

      <h2>Collection</h2>
      <div className="cards" style={{ gridTemplateColumns: "repeat(auto-fill, minmax(420px, 1fr))" }}>
        <LineChart title={`Masks per stage over time (cumulative, per ${bucket})`} series={cumulativeByStage(d.masksPerStage)} yLabel="masks" testId="chart-masks-per-stage" />
        <LineChart
          title={`Seconds per mask (median per ${bucket}, manual and assisted masks)`}
          series={valueByStage(d.secondsPerMask.series, (r) => r.medianSeconds)}
          yLabel="seconds"
          testId="chart-seconds-per-mask"
        />
        <BarChart
          title="Masks per image"
          bars={histogramBins(d.masksPerImage.histogram).map((b) => ({ label: b.from === b.to ? String(b.from) : `${b.from}–${b.to}`, value: b.images }))}
          yLabel="images"
          xLabel="masks on the image (proposed + accepted)"
          color="#0f8b8d"
          testId="chart-masks-per-image"
        />
        {d.autoAcceptance.series.length ? (
          <LineChart
            title={`Acceptance rate of automatic masks (per ${bucket} of review)`}
            series={[{ name: "accepted / (accepted + rejected)", color: "#2a9d5c", points: acceptanceSeries(d.autoAcceptance.series).map((p) => ({ ...p, y: p.y * 100 })) }]}
            yLabel="% accepted"
            yMax={100}
            testId="chart-acceptance"
          />
        ) : (
          <EmptyChart title="Acceptance rate of automatic masks" testId="chart-acceptance" note="No automatic mask has been accepted or rejected yet." />
        )}
      </div>

      {timed.length > 0 && (
        <table style={{ marginTop: "1rem" }} data-testid="seconds-by-stage">
          <thead><tr><th>Stage</th><th>Timed masks</th><th>Mean s / mask</th><th>Median s / mask</th></tr></thead>
          <tbody>
            {timed.map((r) => <tr key={r.stage}><td>{STAGE_NAMES[r.stage] ?? r.stage}</td><td>{r.n}</td><td>{num(r.meanSeconds)}</td><td>{num(r.medianSeconds)}</td></tr>)}
          </tbody>
        </table>
      )}
      {d.autoAcceptance.byModel.length > 0 && (
        <table style={{ marginTop: "1rem" }} data-testid="acceptance-by-model">
          <thead><tr><th>Model that proposed</th><th>Accepted</th><th>Rejected</th><th>Acceptance</th></tr></thead>
          <tbody>
            {d.autoAcceptance.byModel.map((r) => (
              <tr key={r.modelVersionId ?? "none"}><td>{r.modelName ?? "unknown"}</td><td>{r.accepted}</td><td>{r.rejected}</td><td>{pct(r.accepted / (r.accepted + r.rejected))}</td></tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Retraining rounds</h2>
      {d.rounds.length > 0 ? (
        <>
          <div className="cards" style={{ gridTemplateColumns: "repeat(auto-fill, minmax(420px, 1fr))", marginBottom: "1rem" }}>
            <LineChart
              title="Held-out mIoU round after round (round 0: the first base model)"
              xKind="number"
              yLabel="mIoU"
              series={(
                [
                  ["after 1 click", "#2457d6", (m: RoundMetrics) => m.oneClick],
                  ["from the box", "#e8871e", (m: RoundMetrics) => m.box],
                  ["after corrective clicks", "#2a9d5c", (m: RoundMetrics) => m.lastClick],
                ] as const
              ).map(([name, color, pick]) => ({
                name, color,
                points: [
                  ...(d.rounds[0]!.base ? [{ x: d.rounds[0]!.baseModel.trainingRound, y: pick(d.rounds[0]!.base) }] : []),
                  ...d.rounds.filter((r) => r.after).map((r) => ({ x: r.candidate.trainingRound, y: pick(r.after!) })),
                ],
              }))}
              testId="chart-rounds"
            />
          </div>
          <table data-testid="rounds" style={{ marginBottom: "1rem" }}>
            <thead><tr><th>Round</th><th>Candidate</th><th>Status</th><th>1 click</th><th>Box</th><th>Corrective clicks</th><th>IoU calibration error</th></tr></thead>
            <tbody>
              {d.rounds.map((r) => (
                <tr key={r.id}>
                  <td>{r.candidate.trainingRound}</td><td>{r.candidate.name}</td><td><span className={`badge ${r.candidate.status}`}>{r.candidate.status.toLowerCase()}</span></td>
                  <td>{num(r.base?.oneClick, 3)} → {num(r.after?.oneClick, 3)}</td>
                  <td>{num(r.base?.box, 3)} → {num(r.after?.box, 3)}</td>
                  <td>{num(r.base?.lastClick, 3)} → {num(r.after?.lastClick, 3)} ({r.after?.clicks ?? "?"} clicks)</td>
                  <td>{num(r.base?.calibration, 3)} → {num(r.after?.calibration, 3)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : (
        <p className="muted">No retraining round has finished yet (project → Training).</p>
      )}

      <h2>Models</h2>
      {withMetrics.length > 0 && metricNames.length > 0 && (
        <div className="cards" style={{ gridTemplateColumns: "repeat(auto-fill, minmax(420px, 1fr))", marginBottom: "1rem" }}>
          <LineChart
            title="Held-out metrics per training round"
            xKind="number"
            series={metricNames.slice(0, METRIC_COLORS.length).map((name, i) => ({
              name, color: METRIC_COLORS[i]!,
              points: withMetrics.filter((m) => name in m.numericMetrics).map((m) => ({ x: m.trainingRound, y: m.numericMetrics[name]! })),
            }))}
            testId="chart-model-metrics"
          />
        </div>
      )}
      <table data-testid="models">
        <thead><tr><th>Round</th><th>Model</th><th>Architecture</th><th>Status</th>{metricNames.map((n) => <th key={n}>{n}</th>)}</tr></thead>
        <tbody>
          {d.models.map((m) => (
            <tr key={m.id}>
              <td>{m.trainingRound}</td><td>{m.name}</td><td>{m.architecture}</td><td><span className={`badge ${m.status}`}>{m.status.toLowerCase()}</span></td>
              {metricNames.map((n) => <td key={n}>{num(m.numericMetrics[n], 3)}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      {withMetrics.length === 0 && <p className="muted">No model has evaluation metrics yet; they appear here after a retraining round is evaluated.</p>}
    </>
  );
}
