// A vertical bar chart in plain SVG (categories along x, counts up y).
import { formatTick, linear, niceTicks } from "./chart-scale.ts";
import { EmptyChart } from "./line-chart.tsx";

const W = 520, H = 220, M = { top: 12, right: 16, bottom: 34, left: 48 };

export function BarChart({
  title, bars, color = "#2457d6", yLabel, xLabel, testId,
}: {
  title: string; bars: { label: string; value: number }[]; color?: string; yLabel?: string; xLabel?: string; testId?: string;
}) {
  if (bars.length === 0) return <EmptyChart title={title} testId={testId} />;
  const yTicks = niceTicks(0, Math.max(...bars.map((b) => b.value)), 4);
  const sy = linear([0, yTicks[yTicks.length - 1]!], [H - M.bottom, M.top]);
  const slot = (W - M.left - M.right) / bars.length;
  const barW = Math.max(2, slot * 0.8);
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
        {bars.map((b, i) => {
          const x = M.left + i * slot + (slot - barW) / 2;
          return (
            <g key={b.label}>
              <rect x={x} y={sy(b.value)} width={barW} height={H - M.bottom - sy(b.value)} fill={color}>
                <title>{`${b.label}: ${b.value}`}</title>
              </rect>
              {(bars.length <= 12 || i % Math.ceil(bars.length / 12) === 0) && (
                <text x={x + barW / 2} y={H - M.bottom + 14} textAnchor="middle" fontSize="10" fill="#5f6b7a">{b.label}</text>
              )}
            </g>
          );
        })}
        <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} stroke="#9aa5b4" />
        {xLabel && <text x={(W + M.left) / 2} y={H - 4} textAnchor="middle" fontSize="11" fill="#5f6b7a">{xLabel}</text>}
        {yLabel && <text x={12} y={M.top + (H - M.top - M.bottom) / 2} fontSize="11" fill="#5f6b7a" transform={`rotate(-90 12 ${M.top + (H - M.top - M.bottom) / 2})`} textAnchor="middle">{yLabel}</text>}
      </svg>
    </figure>
  );
}
