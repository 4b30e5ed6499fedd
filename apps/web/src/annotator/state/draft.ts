// The mask being drafted and its undo/redo history, as a pure reducer. SAM candidates live in the decoder
// worker; the draft refers to them by result id, so undoing a click restores the earlier candidate (and
// its low-res logits for the next refinement) without running the decoder again.
import type { Edit } from "../raster/edits.ts";
import type { MaskInputRef, PromptRequest, XY } from "../worker/protocol.ts";

export type Box = readonly [number, number, number, number];

export interface PromptPoint {
  x: number;
  y: number;
  /** 1 foreground, 0 background. */
  label: 0 | 1;
}

/** An existing mask opened for editing: the version read is what a save must name. */
export interface DraftTarget {
  maskId: string;
  version: number;
  labelClassId: string | null;
}

export interface DraftState {
  target: DraftTarget | null;
  points: PromptPoint[];
  box: Box | null;
  /** The SAM answer shown (candidate `index` of worker result `resultId`). */
  result: { resultId: number; scores: number[]; index: number } | null;
  edits: Edit[];
  labelClassId: string | null;
}

export interface Session {
  past: DraftState[];
  present: DraftState;
  future: DraftState[];
  /** Prompts and edits made on this draft (undo does not give effort back). */
  clicks: number;
  /** When the first action on this draft happened (ms, the page's clock). */
  startedAt: number | null;
}

export type Action =
  | { type: "point"; point: PromptPoint; at: number }
  | { type: "box"; box: Box; at: number }
  /** A decoder answer for the prompts of `forDraft`: dropped when the draft moved on meanwhile (undo, more clicks). */
  | { type: "result"; resultId: number; scores: number[]; index: number; forDraft: DraftState }
  | { type: "cycle"; step: 1 | -1 }
  | { type: "choose"; index: number }
  | { type: "edit"; edit: Edit; at: number }
  | { type: "label"; labelClassId: string | null }
  | { type: "open"; target: DraftTarget }
  | { type: "reset" }
  | { type: "undo" }
  | { type: "redo" };

export const HISTORY_LIMIT = 100;

export function emptyDraft(labelClassId: string | null = null): DraftState {
  return { target: null, points: [], box: null, result: null, edits: [], labelClassId };
}

export function newSession(labelClassId: string | null = null): Session {
  return { past: [], present: emptyDraft(labelClassId), future: [], clicks: 0, startedAt: null };
}

function step(s: Session, next: DraftState, at: number | null, countsAsClick: boolean): Session {
  const past = [...s.past, s.present].slice(-HISTORY_LIMIT);
  return { past, present: next, future: [], clicks: s.clicks + (countsAsClick ? 1 : 0), startedAt: s.startedAt ?? at };
}

export function reduce(s: Session, a: Action): Session {
  const d = s.present;
  switch (a.type) {
    case "point":
      return step(s, { ...d, points: [...d.points, a.point] }, a.at, true);
    case "box":
      return step(s, { ...d, box: normalizeBox(a.box) }, a.at, true);
    case "result":
      if (a.forDraft.points !== d.points || a.forDraft.box !== d.box || a.forDraft.target !== d.target) return s;
      return { ...s, present: { ...d, result: { resultId: a.resultId, scores: a.scores, index: a.index } } };
    case "cycle": {
      if (!d.result || d.result.scores.length < 2) return s;
      const n = d.result.scores.length;
      return { ...s, present: { ...d, result: { ...d.result, index: (d.result.index + a.step + n) % n } } };
    }
    case "choose":
      if (!d.result || !(a.index >= 0 && a.index < d.result.scores.length)) return s;
      return { ...s, present: { ...d, result: { ...d.result, index: a.index } } };
    case "edit":
      return step(s, { ...d, edits: [...d.edits, a.edit] }, a.at, true);
    case "label":
      return { ...s, present: { ...d, labelClassId: a.labelClassId } };
    case "open":
      return {
        past: [], future: [], clicks: 0, startedAt: null,
        present: { ...emptyDraft(a.target.labelClassId), target: a.target },
      };
    case "reset":
      return newSession(d.labelClassId);
    case "undo": {
      const prev = s.past.at(-1);
      if (!prev) return s;
      // The label is not part of the shape history: keep the one chosen last.
      return { ...s, past: s.past.slice(0, -1), present: { ...prev, labelClassId: d.labelClassId }, future: [d, ...s.future] };
    }
    case "redo": {
      const next = s.future[0];
      if (!next) return s;
      return { ...s, past: [...s.past, d], present: { ...next, labelClassId: d.labelClassId }, future: s.future.slice(1) };
    }
  }
}

export function normalizeBox(b: Box): Box {
  return [Math.min(b[0], b[2]), Math.min(b[1], b[3]), Math.max(b[0], b[2]), Math.max(b[1], b[3])];
}

/** Whether the draft has anything to save. */
export function hasShape(d: DraftState): boolean {
  return d.result !== null || d.edits.length > 0 || (d.target !== null && d.labelClassId !== d.target.labelClassId);
}

export function shapeChanged(d: DraftState): boolean {
  return d.result !== null || d.edits.length > 0;
}

/**
 * The decoder request for the draft's current prompts. As SAM's interactive use: a lone click is
 * ambiguous, so it asks for the three candidates (whole / part / subpart); anything more asks for one
 * answer and feeds back the previous candidate's low-res logits (or the edited mask's own pixels).
 */
export function promptRequest(d: DraftState): PromptRequest {
  const points: XY[] = d.points.map((p) => [p.x, p.y] as const);
  const labels = d.points.map((p) => p.label);
  const single = d.points.length === 1 && d.box === null;
  const previous: MaskInputRef | null = d.result ? { resultId: d.result.resultId, index: d.result.index } : d.target ? { maskId: d.target.maskId } : null;
  return { points, labels, box: d.box, multimask: single && previous === null, maskInput: single && previous === null ? null : previous };
}

/** The draft's prompts for the saved mask's `prompts` field. */
export function promptsRecord(d: DraftState): Record<string, unknown> {
  return {
    points: d.points.map((p) => [Math.round(p.x * 100) / 100, Math.round(p.y * 100) / 100]),
    labels: d.points.map((p) => p.label),
    box: d.box,
    candidate: d.result?.index ?? null,
    edits: d.edits.map((e) => e.kind),
    refined: d.target?.maskId ?? null,
  };
}
