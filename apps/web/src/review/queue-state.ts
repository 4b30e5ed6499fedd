// The client's window onto the review queue: the items loaded so far, where the reviewer is, and what
// became of each item (decided here, or taken by someone else). The server's queue only holds masks
// still PROPOSED, so the offset of the next page is the number of loaded items nobody is known to have
// decided; items appearing twice (the queue moved under us) are dropped.

export type Outcome =
  | { kind: "accepted" | "rejected" | "relabelled"; label?: string }
  | { kind: "conflict"; message: string }
  | { kind: "fixing" };

export interface QueueState<T extends { id: string }> {
  items: T[];
  index: number;
  outcomes: Record<string, Outcome>;
  total: number;
  /** The last page came back short: nothing more to load for these filters. */
  exhausted: boolean;
}

export type QueueEvent<T extends { id: string }> =
  | { type: "loaded"; items: T[]; total: number; requested: number; reset?: boolean }
  | { type: "outcome"; id: string; outcome: Outcome }
  /** A decision that failed for another reason than a conflict: the item is open again. */
  | { type: "reopen"; id: string }
  | { type: "next" }
  | { type: "previous" }
  | { type: "select"; index: number };

export function emptyQueue<T extends { id: string }>(): QueueState<T> {
  return { items: [], index: 0, outcomes: {}, total: 0, exhausted: false };
}

export function isOpen<T extends { id: string }>(s: QueueState<T>, item: T): boolean {
  return !s.outcomes[item.id];
}

/** review.queue offset for the next page. */
export function nextOffset<T extends { id: string }>(s: QueueState<T>): number {
  return s.items.filter((i) => isOpen(s, i)).length;
}

/** Open items after the current one; the page loads more when this runs low. */
export function openAhead<T extends { id: string }>(s: QueueState<T>): number {
  return s.items.slice(s.index + 1).filter((i) => isOpen(s, i)).length;
}

function nextOpenIndex<T extends { id: string }>(s: QueueState<T>, from: number): number {
  for (let i = from + 1; i < s.items.length; i++) if (isOpen(s, s.items[i]!)) return i;
  // Nothing open ahead: stay past the end so the page shows "loading" or "done".
  return s.items.length;
}

export function queueReducer<T extends { id: string }>(s: QueueState<T>, e: QueueEvent<T>): QueueState<T> {
  switch (e.type) {
    case "loaded": {
      const base = e.reset ? emptyQueue<T>() : s;
      const seen = new Set(base.items.map((i) => i.id));
      const fresh = e.items.filter((i) => !seen.has(i.id));
      return { ...base, items: [...base.items, ...fresh], total: e.total, exhausted: e.items.length < e.requested };
    }
    case "outcome": {
      const outcomes = { ...s.outcomes, [e.id]: e.outcome };
      // The server's count until the next page: one fewer for each item that leaves the queue.
      const leaves = !s.outcomes[e.id] && e.outcome.kind !== "fixing";
      const next = { ...s, outcomes, total: leaves ? Math.max(0, s.total - 1) : s.total };
      const current = s.items[s.index];
      // Deciding the item in view moves on to the next open one; a decision on another item does not.
      return current?.id === e.id ? { ...next, index: nextOpenIndex(next, s.index) } : next;
    }
    case "reopen": {
      const { [e.id]: gone, ...outcomes } = s.outcomes;
      return { ...s, outcomes, total: gone && gone.kind !== "fixing" ? s.total + 1 : s.total };
    }
    case "next":
      return { ...s, index: Math.min(s.index + 1, s.items.length) };
    case "previous":
      return { ...s, index: Math.max(s.index - 1, 0) };
    case "select":
      return { ...s, index: Math.max(0, Math.min(e.index, s.items.length)) };
  }
}
