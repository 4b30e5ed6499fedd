"use client";
// Queue filters and sort. Number fields apply when they lose focus or on Enter, so typing "0.9" does not
// reload the queue at "0" and "0.".
import { useState } from "react";
import { QUEUE_SORTS, type QueueFilters, type QueueSort } from "./filters.ts";
import styles from "./review.module.css";

const SORT_NAMES: Record<QueueSort, string> = {
  iou_desc: "Predicted IoU, high first",
  iou_asc: "Predicted IoU, low first",
  stability_desc: "Stability, high first",
  stability_asc: "Stability, low first",
  oldest: "Oldest first",
};

function NumberFilter({ label, value, max, onCommit }: { label: string; value: number | undefined; max: number; onCommit: (v: number | undefined) => void }) {
  const [text, setText] = useState(value === undefined ? "" : String(value));
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    // The URL changed under us (back button, reset): show what it says.
    setShown(value);
    setText(value === undefined ? "" : String(value));
  }
  const commit = () => {
    const t = text.trim();
    const n = t === "" ? undefined : Number(t);
    if (n !== undefined && (!Number.isFinite(n) || n < 0 || n > max)) {
      setText(value === undefined ? "" : String(value));
      return;
    }
    if (n !== value) onCommit(n);
  };
  return (
    <label>
      {label}
      <input
        type="number" inputMode="decimal" step="0.01" min={0} max={max} value={text} placeholder="any" className={styles.num}
        onChange={(e) => setText(e.target.value)} onBlur={commit} onKeyDown={(e) => e.key === "Enter" && commit()}
      />
    </label>
  );
}

export function FilterBar({
  filters, labels, models, onChange,
}: {
  filters: QueueFilters;
  labels: { id: string; name: string }[];
  models: { id: string; name: string }[];
  onChange: (f: QueueFilters) => void;
}) {
  const set = (patch: Partial<QueueFilters>) => onChange({ ...filters, ...patch });
  return (
    <form className={styles.filters} aria-label="Queue filters" onSubmit={(e) => e.preventDefault()}>
      <NumberFilter label="Min IoU" value={filters.minPredictedIou} max={1.5} onCommit={(v) => set({ minPredictedIou: v })} />
      <NumberFilter label="Max IoU" value={filters.maxPredictedIou} max={1.5} onCommit={(v) => set({ maxPredictedIou: v })} />
      <NumberFilter label="Min stability" value={filters.minStability} max={1} onCommit={(v) => set({ minStability: v })} />
      <label>
        Label
        <select value={filters.labelClassId ?? ""} onChange={(e) => set({ labelClassId: e.target.value || undefined })}>
          <option value="">any</option>
          <option value="none">no label</option>
          {labels.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
        </select>
      </label>
      <label>
        Model
        <select value={filters.modelVersionId ?? ""} onChange={(e) => set({ modelVersionId: e.target.value || undefined })}>
          <option value="">any</option>
          {models.map((m) => <option key={m.id} value={m.id}>{m.name}</option>)}
        </select>
      </label>
      <label>
        Stage
        <select value={filters.stage ?? ""} onChange={(e) => set({ stage: e.target.value ? (Number(e.target.value) as 1 | 2 | 3) : undefined })}>
          <option value="">any</option>
          <option value="1">1 assisted</option>
          <option value="2">2 semi-automatic</option>
          <option value="3">3 automatic</option>
        </select>
      </label>
      <label>
        Sort
        <select value={filters.sort} onChange={(e) => set({ sort: e.target.value as QueueSort })}>
          {QUEUE_SORTS.map((s) => <option key={s} value={s}>{SORT_NAMES[s]}</option>)}
        </select>
      </label>
      <label>
        View
        <select value={filters.view} onChange={(e) => set({ view: e.target.value === "grid" ? "grid" : "single" })}>
          <option value="single">one at a time</option>
          <option value="grid">grid</option>
        </select>
      </label>
    </form>
  );
}
