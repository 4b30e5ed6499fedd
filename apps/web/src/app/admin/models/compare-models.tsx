"use client";
// Pick models, see their metrics side by side (the highest of each numeric metric marked; for loss-like
// metrics lower is better, so read the name).
import { useState } from "react";
import { metricTable } from "./metric-table.ts";

export interface ComparableModel {
  id: string;
  name: string;
  trainingRound: number | null;
  metrics: unknown;
}

export function CompareModels({ models }: { models: ComparableModel[] }) {
  const [chosen, setChosen] = useState<string[]>(() => models.slice(0, 2).map((m) => m.id));
  const picked = models.filter((m) => chosen.includes(m.id));
  const rows = metricTable(picked);
  const fmt = (v: number | string | null) => (v === null ? "—" : typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v);
  return (
    <section className="panel stack" data-testid="compare-models">
      <h2>Compare</h2>
      <div className="row">
        {models.map((m) => (
          <label key={m.id}>
            <input type="checkbox" checked={chosen.includes(m.id)} onChange={(e) => setChosen((c) => (e.target.checked ? [...c, m.id] : c.filter((x) => x !== m.id)))} />{" "}
            {m.name}
          </label>
        ))}
      </div>
      {picked.length < 2 ? (
        <p className="muted">Choose two or more models.</p>
      ) : rows.length === 0 ? (
        <p className="muted">None of these models has metrics yet (evaluation writes them).</p>
      ) : (
        <table>
          <thead><tr><th>Metric</th>{picked.map((m) => <th key={m.id}>{m.name}{m.trainingRound !== null ? ` (round ${m.trainingRound})` : ""}</th>)}</tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name}>
                <td>{r.name}</td>
                {r.values.map((v, i) => <td key={picked[i]!.id} style={r.best === i ? { fontWeight: 600 } : undefined}>{fmt(v)}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
