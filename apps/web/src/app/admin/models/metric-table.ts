// Models' metrics side by side: each model's metrics JSON (nested objects of numbers, as evaluation
// writes it) flattened to dotted names, one row per name that any of the models has.

export interface MetricRow {
  name: string;
  /** One value per model, in the order given; null where that model lacks the metric. */
  values: (number | string | null)[];
  /** Index of the highest numeric value, when at least two models have one and they differ. */
  best: number | null;
}

export function flattenMetrics(metrics: unknown, prefix = ""): Map<string, number | string> {
  const out = new Map<string, number | string>();
  if (metrics === null || typeof metrics !== "object" || Array.isArray(metrics)) return out;
  for (const [k, v] of Object.entries(metrics as Record<string, unknown>)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (typeof v === "number" && Number.isFinite(v)) out.set(name, v);
    else if (typeof v === "string") out.set(name, v);
    else if (v && typeof v === "object" && !Array.isArray(v)) for (const [kk, vv] of flattenMetrics(v, name)) out.set(kk, vv);
  }
  return out;
}

export function metricTable(models: readonly { metrics: unknown }[]): MetricRow[] {
  const flat = models.map((m) => flattenMetrics(m.metrics));
  const names = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
  return names.map((name) => {
    const values = flat.map((f) => f.get(name) ?? null);
    const numeric = values.map((v, i) => [v, i] as const).filter((e): e is readonly [number, number] => typeof e[0] === "number");
    let best: number | null = null;
    if (numeric.length >= 2 && new Set(numeric.map(([v]) => v)).size > 1) best = numeric.reduce((a, b) => (b[0] > a[0] ? b : a))[1];
    return { name, values, best };
  });
}
