// What every dashboard chart shares: the panel with its title, the SVG canvas, the horizontal grid with
// y tick labels, the axes and the axis titles. Charts draw their marks as children.
import type { ReactNode } from "react";
import { formatTick } from "./chart-scale.ts";

export const W = 520, H = 220, M = { top: 12, right: 16, bottom: 34, left: 48 };

export function ChartFrame({
  title, testId, yTicks, sy, yLabel, xLabel, yAxis = false, children, footer,
}: {
  title: string; testId?: string; yTicks: number[]; sy: (v: number) => number; yLabel?: string; xLabel?: string;
  /** Draw the vertical y axis line (line charts); bar charts only have the baseline. */
  yAxis?: boolean; children: ReactNode; footer?: ReactNode;
}) {
  const midY = M.top + (H - M.top - M.bottom) / 2;
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
        {yAxis && <line x1={M.left} x2={M.left} y1={M.top} y2={H - M.bottom} stroke="#9aa5b4" />}
        <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} stroke="#9aa5b4" />
        {xLabel && <text x={(W + M.left) / 2} y={H - 4} textAnchor="middle" fontSize="11" fill="#5f6b7a">{xLabel}</text>}
        {yLabel && <text x={12} y={midY} fontSize="11" fill="#5f6b7a" transform={`rotate(-90 12 ${midY})`} textAnchor="middle">{yLabel}</text>}
        {children}
      </svg>
      {footer}
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
