// The review queue's filters and sort, kept in the page URL (so a filtered queue can be bookmarked and
// shared) and turned into the review.queue input. Bad values in a hand-edited URL are dropped, never
// sent to the server.

export const QUEUE_SORTS = ["iou_desc", "iou_asc", "stability_desc", "stability_asc", "oldest"] as const;
export type QueueSort = (typeof QUEUE_SORTS)[number];

export interface QueueFilters {
  minPredictedIou?: number;
  maxPredictedIou?: number;
  minStability?: number;
  /** A label class id, or "none" for unlabelled masks. */
  labelClassId?: string;
  modelVersionId?: string;
  stage?: 1 | 2 | 3;
  sort: QueueSort;
  view: "single" | "grid";
}

export const DEFAULT_FILTERS: QueueFilters = { sort: "iou_desc", view: "single" };

type Params = { get(name: string): string | null };

function unit(raw: string | null, max: number): number | undefined {
  if (raw === null || raw.trim() === "") return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 && n <= max ? n : undefined;
}

function id(raw: string | null): string | undefined {
  return raw !== null && /^[A-Za-z0-9_-]{1,64}$/.test(raw) ? raw : undefined;
}

export function filtersFromParams(params: Params): QueueFilters {
  const sort = params.get("sort");
  const stage = Number(params.get("stage"));
  return {
    minPredictedIou: unit(params.get("minIou"), 1.5),
    maxPredictedIou: unit(params.get("maxIou"), 1.5),
    minStability: unit(params.get("minStability"), 1),
    labelClassId: id(params.get("label")),
    modelVersionId: id(params.get("model")),
    stage: stage === 1 || stage === 2 || stage === 3 ? stage : undefined,
    sort: (QUEUE_SORTS as readonly string[]).includes(sort ?? "") ? (sort as QueueSort) : DEFAULT_FILTERS.sort,
    view: params.get("view") === "grid" ? "grid" : "single",
  };
}

/** The query string for `filters`, without defaults, in a stable order. */
export function filtersToSearch(filters: QueueFilters): string {
  const p = new URLSearchParams();
  if (filters.minPredictedIou !== undefined) p.set("minIou", String(filters.minPredictedIou));
  if (filters.maxPredictedIou !== undefined) p.set("maxIou", String(filters.maxPredictedIou));
  if (filters.minStability !== undefined) p.set("minStability", String(filters.minStability));
  if (filters.labelClassId) p.set("label", filters.labelClassId);
  if (filters.modelVersionId) p.set("model", filters.modelVersionId);
  if (filters.stage) p.set("stage", String(filters.stage));
  if (filters.sort !== DEFAULT_FILTERS.sort) p.set("sort", filters.sort);
  if (filters.view !== DEFAULT_FILTERS.view) p.set("view", filters.view);
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** The review.queue input (everything but paging) for `filters`. */
export function queueInput(projectId: string, filters: QueueFilters) {
  const { view: _view, ...rest } = filters;
  const input: Record<string, unknown> = { projectId };
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) input[k] = v;
  return input as { projectId: string; sort: QueueSort } & Omit<QueueFilters, "view" | "sort">;
}
