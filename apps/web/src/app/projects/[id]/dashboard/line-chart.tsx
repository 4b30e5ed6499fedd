// A small multi-series line chart in plain SVG (x: time or a number, y: linear from 0), with a legend.
import { formatTick, linear, niceTicks } from "./chart-scale.ts";
import type { Series } from "./chart-data.ts";
import { ChartFrame, EmptyChart, H, M, W } from "./chart-frame.tsx";

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
  const legend = series.length > 1 && (
    <div className="row" style={{ fontSize: "0.8rem" }}>
      {series.map((s) => <span key={s.name}><span className="swatch" style={{ background: s.color }} />{s.name}</span>)}
    </div>
  );
  return (
    <ChartFrame title={title} testId={testId} yTicks={yTicks} sy={sy} yLabel={yLabel} yAxis footer={legend}>
      {xTicks.map((t, i) => (
        <text key={t} x={sx(t)} y={H - M.bottom + 16} textAnchor={i === 0 ? "start" : i === xTicks.length - 1 ? "end" : "middle"} fontSize="11" fill="#5f6b7a">{xLabel(t)}</text>
      ))}
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
    </ChartFrame>
  );
}

