// A vertical bar chart in plain SVG (categories along x, counts up y).
import { linear, niceTicks } from "./chart-scale.ts";
import { ChartFrame, EmptyChart, H, M, W } from "./chart-frame.tsx";

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
    <ChartFrame title={title} testId={testId} yTicks={yTicks} sy={sy} yLabel={yLabel} xLabel={xLabel}>
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
    </ChartFrame>
  );
}
