"use client";
// The review queue (stage 2): proposed masks one at a time over their image, or a grid of several;
// single-key decisions; filters in the URL; the next items and their images prefetched. A decision is
// shown at once and sent with the mask version the reviewer saw; if someone else decided first, the
// server refuses it (CONFLICT) and the reviewer is told who did, with nothing applied twice.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { useTRPC } from "@/client/trpc.tsx";
import { BatchAccept } from "./batch-accept.tsx";
import { FilterBar } from "./filter-bar.tsx";
import { filtersFromParams, filtersToSearch, queueInput, type QueueFilters } from "./filters.ts";
import { HelpOverlay } from "./help-overlay.tsx";
import { prefetchImages } from "./image-cache.ts";
import { commandForKey, isTypingTarget, type ReviewCommand } from "./keys.ts";
import { MaskView } from "./mask-view.tsx";
import { emptyQueue, isOpen, nextOffset, openAhead, queueReducer, type Outcome, type QueueState } from "./queue-state.ts";
import styles from "./review.module.css";

export interface ReviewLabel { id: string; name: string; color: string }
export interface ReviewModel { id: string; name: string }

const PAGE = 20;
/** Load the next page when fewer open items than this are left ahead. */
const PREFETCH_AHEAD = 5;
/** Images fetched ahead of the one in view. */
const PREFETCH_IMAGES = 3;
const GRID = 12;

interface QueueItem {
  id: string;
  version: number;
  rle: string;
  bbox: number[];
  area: number;
  stage: number;
  source: string;
  predictedIou: number | null;
  stabilityScore: number | null;
  imageId: string;
  createdAt: Date;
  image: { id: string; url: string; width: number; height: number; fileName: string };
  labelClass: { id: string; name: string; color: string } | null;
  modelVersion: { id: string; name: string } | null;
}

const ACTION_OF = { accept: "ACCEPT", reject: "REJECT", relabel: "RELABEL" } as const;

function fmt(v: number | null, digits = 3): string {
  return v === null ? "—" : v.toFixed(digits);
}

function outcomeText(o: Outcome): string {
  switch (o.kind) {
    case "accepted": return "accepted";
    case "rejected": return "rejected";
    case "relabelled": return `relabelled ${o.label ?? ""}`.trim();
    case "conflict": return "taken by someone else";
    case "fixing": return "opened in the annotator";
  }
}

export function ReviewApp({ projectId, labels, models }: { projectId: string; labels: ReviewLabel[]; models: ReviewModel[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const filters = useMemo(() => filtersFromParams(searchParams), [searchParams]);
  const filterKey = filtersToSearch({ ...filters, view: "single" });

  const [state, dispatch] = useReducer(queueReducer<QueueItem>, undefined, () => emptyQueue<QueueItem>() as QueueState<QueueItem>);
  const [loading, setLoading] = useState(false);
  const [banner, setBanner] = useState<{ kind: "error" | "info"; text: string } | null>(null);
  const [help, setHelp] = useState(false);
  const [counts, setCounts] = useState({ decided: 0, conflicts: 0 });
  const loadingRef = useRef(false);
  const generation = useRef(0);

  const decide = useMutation(trpc.review.decide.mutationOptions());

  const loadPage = useCallback(
    async (offset: number, reset: boolean) => {
      if (loadingRef.current && !reset) return;
      const gen = reset ? ++generation.current : generation.current;
      loadingRef.current = true;
      setLoading(true);
      try {
        const page = await queryClient.fetchQuery({
          ...trpc.review.queue.queryOptions({ ...queueInput(projectId, filtersFromParams(new URLSearchParams(filterKey))), offset, limit: PAGE }),
          staleTime: 0,
        });
        if (gen !== generation.current) return;
        dispatch({ type: "loaded", items: page.items as QueueItem[], total: page.total, requested: PAGE, reset });
      } catch (err) {
        if (gen === generation.current) setBanner({ kind: "error", text: `Could not load the queue: ${(err as Error).message}` });
      } finally {
        if (gen === generation.current) {
          loadingRef.current = false;
          setLoading(false);
        }
      }
    },
    // filterKey stands for the filters that select items (not the view): switching views keeps the queue.
    [queryClient, trpc, projectId, filterKey],
  );

  // A new filter starts a new queue.
  useEffect(() => {
    void loadPage(0, true);
  }, [loadPage]);

  // Keep a few open items ahead loaded, and their images decoded.
  useEffect(() => {
    if (!state.exhausted && !loadingRef.current && state.items.length > 0 && openAhead(state) < PREFETCH_AHEAD) {
      void loadPage(nextOffset(state), false);
    }
    const ahead = state.items.slice(state.index + 1).filter((i) => isOpen(state, i)).slice(0, PREFETCH_IMAGES);
    prefetchImages(ahead.map((i) => i.image.url));
  }, [state, loadPage]);

  const current: QueueItem | undefined = state.items[state.index];

  const setFilters = useCallback(
    (next: QueueFilters) => router.replace(`${pathname}${filtersToSearch(next)}`, { scroll: false }),
    [router, pathname],
  );

  const act = useCallback(
    async (cmd: ReviewCommand) => {
      if (cmd.kind === "help") return setHelp((h) => !h);
      if (cmd.kind === "close") return setHelp(false);
      if (cmd.kind === "next") return dispatch({ type: "next" });
      if (cmd.kind === "previous") return dispatch({ type: "previous" });
      const item = current;
      if (!item) return;
      if (!isOpen(state, item)) {
        setBanner({ kind: "info", text: `This mask was already ${outcomeText(state.outcomes[item.id]!)}; move on with J` });
        return;
      }
      if (cmd.kind === "fix") {
        dispatch({ type: "outcome", id: item.id, outcome: { kind: "fixing" } });
        router.push(`/projects/${projectId}/annotate/${item.imageId}?mask=${encodeURIComponent(item.id)}`);
        return;
      }
      let labelClassId: string | undefined;
      let outcome: Outcome;
      if (cmd.kind === "relabel") {
        const label = labels[cmd.slot - 1];
        if (!label) {
          setBanner({ kind: "error", text: `There is no label ${cmd.slot}: this project has ${labels.length} label${labels.length === 1 ? "" : "s"}` });
          return;
        }
        labelClassId = label.id;
        outcome = { kind: "relabelled", label: label.name };
      } else {
        outcome = { kind: cmd.kind === "accept" ? "accepted" : "rejected" };
      }
      // Shown at once; undone below if the server says no.
      dispatch({ type: "outcome", id: item.id, outcome });
      setBanner(null);
      try {
        await decide.mutateAsync({
          projectId, maskId: item.id, expectedVersion: item.version, action: ACTION_OF[cmd.kind],
          ...(labelClassId ? { labelClassId } : {}),
        });
        setCounts((c) => ({ ...c, decided: c.decided + 1 }));
      } catch (err) {
        const message = (err as Error).message;
        const code = (err as { data?: { code?: string } }).data?.code;
        if (code === "CONFLICT") {
          dispatch({ type: "outcome", id: item.id, outcome: { kind: "conflict", message } });
          setCounts((c) => ({ ...c, conflicts: c.conflicts + 1 }));
          setBanner({ kind: "error", text: message });
        } else {
          dispatch({ type: "reopen", id: item.id });
          setBanner({ kind: "error", text: `Your decision on mask ${item.id} was not saved: ${message}` });
        }
      }
    },
    [current, state, labels, projectId, decide, router],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTypingTarget(e.target)) return;
      const cmd = commandForKey(e);
      if (!cmd) return;
      if (help && cmd.kind !== "help" && cmd.kind !== "close") return;
      e.preventDefault();
      void act(cmd);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [act, help]);

  const gridStart = Math.floor(state.index / GRID) * GRID;
  const gridItems = state.items.slice(gridStart, gridStart + GRID);
  const atEnd = !current && !loading && (state.exhausted || state.items.length === 0);
  const skipped = state.items.filter((i) => isOpen(state, i)).length;

  return (
    <div className={styles.review}>
      <FilterBar filters={filters} labels={labels} models={models} onChange={setFilters} />
      <div className={styles.status}>
        <span data-testid="queue-total">{state.total} proposed</span>
        <span className="muted">
          {counts.decided} decided in this session{counts.conflicts > 0 ? `, ${counts.conflicts} taken by others` : ""}
        </span>
        <span className={styles.spacer} />
        <BatchAccept projectId={projectId} filters={filters} onDone={(text) => { setBanner({ kind: "info", text }); void loadPage(0, true); }} />
        <button type="button" className="secondary" onClick={() => setHelp(true)} aria-keyshortcuts="?">Keys (?)</button>
      </div>
      {banner && (
        <p className={banner.kind === "error" ? `error ${styles.banner}` : `${styles.banner} ${styles.info}`} role="alert" data-testid="review-banner">
          {banner.text}
        </p>
      )}

      {atEnd && skipped > 0 ? (
        <div className="placeholder">End of the queue; {skipped} mask{skipped === 1 ? "" : "s"} you skipped {skipped === 1 ? "is" : "are"} still open (K goes back).</div>
      ) : atEnd ? (
        <div className="placeholder" data-testid="queue-empty">No proposed masks left for these filters. Nothing is waiting for review.</div>
      ) : !current ? (
        <p className="muted">Loading the queue…</p>
      ) : filters.view === "grid" ? (
        <div className={styles.grid} data-testid="review-grid">
          {gridItems.map((item, i) => {
            const o = state.outcomes[item.id];
            const selected = gridStart + i === state.index;
            return (
              <button
                type="button"
                key={item.id}
                className={`${styles.tile} ${selected ? styles.selected : ""} ${o ? styles.decided : ""}`}
                onClick={() => dispatch({ type: "select", index: gridStart + i })}
                aria-pressed={selected}
              >
                <MaskView item={item} maxWidth={260} maxHeight={200} zoom />
                <span className={styles.tileMeta}>
                  <span>IoU {fmt(item.predictedIou, 2)}</span>
                  <span>{o ? outcomeText(o) : (item.labelClass?.name ?? "no label")}</span>
                </span>
              </button>
            );
          })}
        </div>
      ) : (
        <div className={styles.single}>
          <MaskView item={current} maxWidth={820} maxHeight={600} />
          <MaskDetails item={current} outcome={state.outcomes[current.id]} position={state.index + 1} loaded={state.items.length} labels={labels} onCommand={act} />
        </div>
      )}

      {help && <HelpOverlay labels={labels} onClose={() => setHelp(false)} />}
    </div>
  );
}

function MaskDetails({
  item, outcome, position, loaded, labels, onCommand,
}: {
  item: QueueItem; outcome: Outcome | undefined; position: number; loaded: number; labels: ReviewLabel[]; onCommand: (c: ReviewCommand) => void;
}) {
  return (
    <aside className={styles.details} data-testid="mask-details" data-mask-id={item.id}>
      <div className="muted">{position} of {loaded} loaded</div>
      <dl>
        <dt>Predicted IoU</dt><dd data-testid="predicted-iou">{fmt(item.predictedIou)}</dd>
        <dt>Stability</dt><dd>{fmt(item.stabilityScore)}</dd>
        <dt>Label</dt>
        <dd>{item.labelClass ? <><span className="swatch" style={{ background: item.labelClass.color }} />{item.labelClass.name}</> : "none"}</dd>
        <dt>Model</dt><dd>{item.modelVersion?.name ?? "—"}</dd>
        <dt>Stage / source</dt><dd>{item.stage} / {item.source.toLowerCase()}</dd>
        <dt>Area</dt><dd>{item.area.toLocaleString()} px</dd>
        <dt>Image</dt><dd title={item.image.fileName}>{item.image.fileName} ({item.image.width}×{item.image.height})</dd>
      </dl>
      {outcome ? (
        <p className={styles.outcome} data-testid="mask-outcome">{outcomeText(outcome)}</p>
      ) : (
        <div className={styles.actions}>
          <button type="button" onClick={() => onCommand({ kind: "accept" })} aria-keyshortcuts="A">Accept (A)</button>
          <button type="button" className="danger" onClick={() => onCommand({ kind: "reject" })} aria-keyshortcuts="R">Reject (R)</button>
          <button type="button" className="secondary" onClick={() => onCommand({ kind: "fix" })} aria-keyshortcuts="F">Fix (F)</button>
        </div>
      )}
      {!outcome && labels.length > 0 && (
        <div className={styles.labels}>
          {labels.slice(0, 9).map((l, i) => (
            <button type="button" key={l.id} className="secondary" onClick={() => onCommand({ kind: "relabel", slot: i + 1 })} aria-keyshortcuts={String(i + 1)}>
              <span className="swatch" style={{ background: l.color }} />{i + 1} {l.name}
            </button>
          ))}
        </div>
      )}
      <div className={styles.actions}>
        <button type="button" className="secondary" onClick={() => onCommand({ kind: "previous" })} aria-keyshortcuts="K">← Previous (K)</button>
        <button type="button" className="secondary" onClick={() => onCommand({ kind: "next" })} aria-keyshortcuts="J">Next (J) →</button>
      </div>
    </aside>
  );
}
