"use client";
// Accept every proposed mask at or above a predicted IoU, within the queue's other filters (label,
// model, stage, stability). The server skips masks someone changed meanwhile.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/client/trpc.tsx";
import type { QueueFilters } from "./filters.ts";
import styles from "./review.module.css";

export function BatchAccept({ projectId, filters, onDone }: { projectId: string; filters: QueueFilters; onDone: (message: string) => void }) {
  const trpc = useTRPC();
  const [threshold, setThreshold] = useState("0.95");
  const [error, setError] = useState<string | null>(null);
  const batch = useMutation(trpc.review.batchAccept.mutationOptions());
  const submit = async () => {
    const t = Number(threshold);
    if (threshold.trim() === "" || !Number.isFinite(t) || t < 0 || t > 1.5) {
      setError("The threshold must be a number from 0 to 1.5");
      return;
    }
    setError(null);
    try {
      const r = await batch.mutateAsync({
        projectId, threshold: t, labelClassId: filters.labelClassId, modelVersionId: filters.modelVersionId,
        stage: filters.stage, minStability: filters.minStability,
      });
      onDone(`Batch accept at predicted IoU ≥ ${t}: ${r.accepted} accepted${r.skipped ? `, ${r.skipped} skipped (changed meanwhile)` : ""}`);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form className={styles.batch} onSubmit={(e) => { e.preventDefault(); void submit(); }} aria-label="Batch accept">
      <label className={styles.inline}>
        Accept all with IoU ≥
        <input type="number" step="0.01" min={0} max={1.5} value={threshold} onChange={(e) => setThreshold(e.target.value)} className={styles.num} />
      </label>
      <button type="submit" disabled={batch.isPending}>{batch.isPending ? "Accepting…" : "Batch accept"}</button>
      {error && <span className="error" role="alert">{error}</span>}
    </form>
  );
}
