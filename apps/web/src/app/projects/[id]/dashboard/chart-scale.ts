// Axis arithmetic for the hand-written SVG charts: "nice" tick values (1, 2, 2.5 or 5 times a power of
// ten) covering a data range, and linear maps from data to pixels.

/** Ticks from 0 (or below, for negative data) to at least `max`, about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError(`niceTicks needs finite bounds, got ${min}..${max}`);
  if (max < min) [min, max] = [max, min];
  if (max === min) max = min === 0 ? 1 : min + Math.abs(min);
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const start = Math.floor(min / step) * step;
  const ticks: number[] = [];
  // Rounding keeps 0.1 + 0.2 style noise out of the labels.
  for (let v = start; v < max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((start + ticks.length * step).toPrecision(12)));
  return ticks;
}

export function linear(domain: [number, number], range: [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

export function formatTick(v: number): string {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(v % 1e6 === 0 ? 0 : 1)}M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(v % 1e3 === 0 ? 0 : 1)}k`;
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}
