// Shapes the dashboard's SQL aggregates into chart series: cumulative masks per stage over time, a
// masks-per-image histogram with readable bins, acceptance rate over time.

export interface Point { x: number; y: number }
export interface Series { name: string; color: string; points: Point[] }

export const STAGE_COLORS: Record<number, string> = { 1: "#2457d6", 2: "#e8871e", 3: "#2a9d5c" };
export const STAGE_NAMES: Record<number, string> = { 1: "stage 1 assisted", 2: "stage 2 semi-automatic", 3: "stage 3 automatic" };

/** One cumulative line per stage, each with a point at every bucket that has data for any stage. */
export function cumulativeByStage(rows: readonly { t: Date; stage: number; n: number }[]): Series[] {
  const times = [...new Set(rows.map((r) => r.t.getTime()))].sort((a, b) => a - b);
  const stages = [...new Set(rows.map((r) => r.stage))].sort();
  return stages.map((stage) => {
    const byTime = new Map(rows.filter((r) => r.stage === stage).map((r) => [r.t.getTime(), r.n]));
    let total = 0;
    return {
      name: STAGE_NAMES[stage] ?? `stage ${stage}`,
      color: STAGE_COLORS[stage] ?? "#666",
      points: times.map((x) => ({ x, y: (total += byTime.get(x) ?? 0) })),
    };
  });
}

/** One line per stage of a per-bucket value (e.g. median seconds per mask). */
export function valueByStage<R extends { t: Date; stage: number }>(rows: readonly R[], value: (r: R) => number | null): Series[] {
  const stages = [...new Set(rows.map((r) => r.stage))].sort();
  return stages.map((stage) => ({
    name: STAGE_NAMES[stage] ?? `stage ${stage}`,
    color: STAGE_COLORS[stage] ?? "#666",
    points: rows.filter((r) => r.stage === stage && value(r) !== null).map((r) => ({ x: r.t.getTime(), y: value(r)! })),
  }));
}

export interface Bin { from: number; to: number; images: number }

/**
 * Images per masks-count, in at most `maxBins` bins of equal integer width: bin [from, to] holds the
 * images with from..to masks (inclusive). Counts absent from `rows` hold no images.
 */
export function histogramBins(rows: readonly { masks: number; images: number }[], maxBins = 12): Bin[] {
  if (rows.length === 0) return [];
  const top = Math.max(...rows.map((r) => r.masks));
  const width = Math.max(1, Math.ceil((top + 1) / maxBins));
  const bins: Bin[] = [];
  for (let from = 0; from <= top; from += width) bins.push({ from, to: from + width - 1, images: 0 });
  for (const r of rows) bins[Math.floor(r.masks / width)]!.images += r.images;
  return bins;
}

/** Acceptance rate (0-1) per bucket, skipping buckets with no decisions. */
export function acceptanceSeries(rows: readonly { t: Date; accepted: number; rejected: number }[]): Point[] {
  return rows.filter((r) => r.accepted + r.rejected > 0).map((r) => ({ x: r.t.getTime(), y: r.accepted / (r.accepted + r.rejected) }));
}
