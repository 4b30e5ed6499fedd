"use client";
// The annotator's side panel: label picker, SAM candidates, the draft's actions and the image's masks.
import { useEffect, useState } from "react";
import type { DraftState } from "../state/draft.ts";
import { hasShape } from "../state/draft.ts";
import styles from "./annotator.module.css";
import type { LabelOption } from "./annotator.tsx";

export interface MaskRow {
  id: string;
  rle: string;
  labelClassId: string | null;
  version: number;
  source: "MANUAL" | "ASSISTED" | "AUTO";
  status: string;
  stage: number;
  area: number;
  predictedIou: number | null;
}

const CANDIDATE_NAMES = ["whole", "part", "subpart"];

export interface SidePanelProps {
  labels: LabelOption[];
  /** Archived ones too, to name existing masks. */
  allLabels: LabelOption[];
  masks: MaskRow[];
  draft: DraftState;
  clicks: number;
  startedAt: number | null;
  saving: boolean;
  stage: number;
  notice: { tone: "info" | "error"; text: string; conflict?: boolean; signIn?: boolean } | null;
  signInHref: string;
  onLabel(id: string | null): void;
  onCandidate(index: number): void;
  onSave(): void;
  onSaveAsNew(): void;
  onDiscard(): void;
  onDelete(): void;
  onOpenMask(id: string): void;
}

function Elapsed({ startedAt }: { startedAt: number | null }) {
  const [now, setNow] = useState(0);
  useEffect(() => {
    if (startedAt === null) return;
    const t = setInterval(() => setNow(performance.now()), 1000);
    return () => clearInterval(t);
  }, [startedAt]);
  if (startedAt === null) return <>0 s</>;
  return <>{Math.max(0, Math.round(((now || performance.now()) - startedAt) / 1000))} s</>;
}

export function SidePanel(p: SidePanelProps) {
  const { draft } = p;
  const labelOf = (id: string | null) => p.allLabels.find((l) => l.id === id);
  const candidates = draft.result && draft.result.scores.length > 1 ? draft.result : null;
  return (
    <aside className={styles.side} aria-label="Annotation">
      <section>
        <h3>Label</h3>
        <div className={styles.labels} data-testid="labels">
          {p.labels.map((l, i) => (
            <button key={l.id} type="button" aria-pressed={draft.labelClassId === l.id} onClick={() => p.onLabel(l.id)} title={i < 9 ? `Key ${i + 1}` : undefined}>
              <span className={styles.swatch} style={{ background: l.color }} />
              <span style={{ flex: 1 }}>{l.name}</span>
              {i < 9 && <span className="muted">{i + 1}</span>}
            </button>
          ))}
          {p.labels.length === 0 && <span className="muted">This project has no label classes yet.</span>}
        </div>
      </section>

      <section>
        <h3>{draft.target ? "Editing a mask" : `New mask · stage ${p.stage}`}</h3>
        {candidates && (
          <div className={styles.candidates} data-testid="candidates" aria-label="Candidate masks">
            {candidates.scores.map((score, i) => (
              <button key={i} type="button" aria-pressed={candidates.index === i} onClick={() => p.onCandidate(i)} title="Tab cycles">
                {CANDIDATE_NAMES[i] ?? `#${i + 1}`}<br />
                <span className="muted">{score.toFixed(2)}</span>
              </button>
            ))}
          </div>
        )}
        <p className="muted" style={{ margin: "0.4rem 0" }} data-testid="draft-info">
          {draft.points.length} point{draft.points.length === 1 ? "" : "s"}{draft.box ? " + box" : ""} · {draft.edits.length} edit{draft.edits.length === 1 ? "" : "s"} · {p.clicks} click{p.clicks === 1 ? "" : "s"} · <Elapsed startedAt={p.startedAt} />
        </p>
        <div className="row">
          <button type="button" onClick={p.onSave} disabled={p.saving || !hasShape(draft)} data-testid="save">{p.saving ? "Saving…" : "Save (Enter)"}</button>
          <button type="button" className="secondary" onClick={p.onDiscard} disabled={p.saving}>Discard</button>
          {draft.target && <button type="button" className="secondary" onClick={p.onDelete} disabled={p.saving}>Delete</button>}
        </div>
        {p.notice && (
          <div className={`${styles.message} ${p.notice.tone === "error" ? "error" : "muted"}`} role={p.notice.tone === "error" ? "alert" : "status"} data-testid="notice" style={{ marginTop: "0.5rem" }}>
            {p.notice.text}
            {p.notice.conflict && (
              <div className="row" style={{ marginTop: "0.4rem" }}>
                <button type="button" onClick={p.onSaveAsNew} disabled={p.saving}>Save as a new mask</button>
              </div>
            )}
            {p.notice.signIn && (
              <div style={{ marginTop: "0.4rem" }}>
                <a href={p.signInHref}>Sign in again</a>
              </div>
            )}
          </div>
        )}
      </section>

      <section>
        <h3>Masks on this image <span data-testid="mask-count">{p.masks.length}</span></h3>
        <ul className={styles.masks} data-testid="mask-list">
          {p.masks.map((m) => {
            const l = labelOf(m.labelClassId);
            return (
              <li key={m.id}>
                <button type="button" aria-pressed={draft.target?.maskId === m.id} onClick={() => p.onOpenMask(m.id)}>
                  <span className={styles.swatch} style={{ background: l?.color ?? "#00b7ff" }} />
                  <span style={{ flex: 1 }}>{l?.name ?? "unlabelled"}</span>
                  <span className="muted">{m.source === "AUTO" ? "auto" : m.source.toLowerCase()} · {m.area}px</span>
                </button>
              </li>
            );
          })}
        </ul>
      </section>
    </aside>
  );
}
