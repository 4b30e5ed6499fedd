// A small multi-series line chart in plain SVG (x: time or a number, y: linear from 0), with a legend.
import { formatTick, linear, niceTicks } from "./chart-scale.ts";
import type { Series } from "./chart-data.ts";

const W = 520, H = 220, M = { top: 12, right: 16, bottom: 34, left: 48 };

export function LineChart({
  title, series, xKind = "time", yLabel, yMax, testId,
}: {
  title: string; series: Series[]; xKind?: "time" | "number"; yLabel?: string; yMax?: number; testId?: string;
}) {
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) return <EmptyChart title={title} testId={testId} />;
  const xs = points.map((p) => p.x);
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  if (x0 === x1) {
    // One bucket: centre it.
    const pad = xKind === "time" ? 86_400_000 : 1;
    x0 -= pad;
    x1 += pad;
  }
  const yTicks = niceTicks(0, yMax ?? Math.max(...points.map((p) => p.y)), 4);
  const yTop = yTicks[yTicks.length - 1]!;
  const sx = linear([x0, x1], [M.left, W - M.right]);
  const sy = linear([0, yTop], [H - M.bottom, M.top]);
  const xTicks = xKind === "time"
    ? [x0, (x0 + x1) / 2, x1]
    : niceTicks(x0, x1, 5).filter((t) => t >= x0 && t <= x1);
  const xLabel = (v: number) =>
    xKind === "time" ? new Date(v).toISOString().slice(0, 10) : formatTick(v);
  return (
    <figure className="panel" data-testid={testId} style={{ margin: 0 }}>
      <figcaption><strong>{title}</strong></figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={title} style={{ maxWidth: W }}>
        {yTicks.map((t) => (
          <g key={t}>
            <line x1={M.left} x2={W - M.right} y1={sy(t)} y2={sy(t)} stroke="#e3e7ee" />
            <text x={M.left - 6} y={sy(t) + 4} textAnchor="end" fontSize="11" fill="#5f6b7a">{formatTick(t)}</text>
          </g>
        ))}
        {xTicks.map((t, i) => (
          <text key={t} x={sx(t)} y={H - M.bottom + 16} textAnchor={i === 0 ? "start" : i === xTicks.length - 1 ? "end" : "middle"} fontSize="11" fill="#5f6b7a">{xLabel(t)}</text>
        ))}
        {yLabel && <text x={12} y={M.top + (H - M.top - M.bottom) / 2} fontSize="11" fill="#5f6b7a" transform={`rotate(-90 12 ${M.top + (H - M.top - M.bottom) / 2})`} textAnchor="middle">{yLabel}</text>}
        <line x1={M.left} x2={M.left} y1={M.top} y2={H - M.bottom} stroke="#9aa5b4" />
        <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} stroke="#9aa5b4" />
        {series.map((s) => (
          <g key={s.name}>
            <polyline fill="none" stroke={s.color} strokeWidth="2" points={s.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(" ")} />
            {s.points.map((p) => (
              <circle key={p.x} cx={sx(p.x)} cy={sy(p.y)} r="3" fill={s.color}>
                <title>{`${s.name}: ${formatTick(p.y)} (${xLabel(p.x)})`}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      {series.length > 1 && (
        <div className="row" style={{ fontSize: "0.8rem" }}>
          {series.map((s) => <span key={s.name}><span className="swatch" style={{ background: s.color }} />{s.name}</span>)}
        </div>
      )}
    </figure>
  );
}

export function EmptyChart({ title, testId, note }: { title: string; testId?: string; note?: string }) {
  return (
    <figure className="panel" data-testid={testId} style={{ margin: 0 }}>
      <figcaption><strong>{title}</strong></figcaption>
      <p className="muted">{note ?? "No data yet."}</p>
    </figure>
  );
}
