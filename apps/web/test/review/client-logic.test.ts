// The review page's pure parts: URL filters, the key map, the queue window, mask rasterisation (checked
// against the test suite's own COCO RLE encoder) and the dashboard's chart arithmetic.
import { describe, expect, it } from "vitest";
import { commandForKey, isTypingTarget } from "../../src/review/keys.ts";
import { DEFAULT_FILTERS, filtersFromParams, filtersToSearch, queueInput } from "../../src/review/filters.ts";
import { emptyQueue, nextOffset, openAhead, queueReducer, type QueueState } from "../../src/review/queue-state.ts";
import { decodeMaskRle, hexToRgb, MaskColorError, overlayPixels } from "../../src/review/mask-raster.ts";
import { linear, niceTicks } from "../../src/app/projects/[id]/dashboard/chart-scale.ts";
import { acceptanceSeries, cumulativeByStage, histogramBins } from "../../src/app/projects/[id]/dashboard/chart-data.ts";
import { rectangleRle } from "../support/coco-rle.ts";

describe("queue filters in the URL", () => {
  it("round-trips every filter and leaves defaults out of the URL", () => {
    const f = { minPredictedIou: 0.8, maxPredictedIou: 0.95, minStability: 0.9, labelClassId: "lbl_1", modelVersionId: "m2", stage: 2 as const, sort: "stability_asc" as const, view: "grid" as const };
    const search = filtersToSearch(f);
    expect(search).toBe("?minIou=0.8&maxIou=0.95&minStability=0.9&label=lbl_1&model=m2&stage=2&sort=stability_asc&view=grid");
    expect(filtersFromParams(new URLSearchParams(search))).toEqual(f);
    expect(filtersToSearch(DEFAULT_FILTERS)).toBe("");
  });

  it("drops values a hand-edited URL got wrong instead of sending them", () => {
    const f = filtersFromParams(new URLSearchParams("minIou=abc&maxIou=7&minStability=-1&stage=4&sort=random&label=a%20b&view=x"));
    expect(f).toEqual({ ...DEFAULT_FILTERS, minPredictedIou: undefined, maxPredictedIou: undefined, minStability: undefined, labelClassId: undefined, modelVersionId: undefined, stage: undefined });
    expect(queueInput("p1", f)).toEqual({ projectId: "p1", sort: "iou_desc" });
  });
});

describe("review keys", () => {
  it("maps single keys to commands, case-insensitively", () => {
    expect(commandForKey({ key: "a" })).toEqual({ kind: "accept" });
    expect(commandForKey({ key: "A" })).toEqual({ kind: "accept" });
    expect(commandForKey({ key: "r" })).toEqual({ kind: "reject" });
    expect(commandForKey({ key: "f" })).toEqual({ kind: "fix" });
    expect(commandForKey({ key: "7" })).toEqual({ kind: "relabel", slot: 7 });
    expect(commandForKey({ key: "0" })).toBeNull();
    for (const k of ["j", "ArrowRight", "ArrowDown"]) expect(commandForKey({ key: k })).toEqual({ kind: "next" });
    for (const k of ["k", "ArrowLeft", "ArrowUp"]) expect(commandForKey({ key: k })).toEqual({ kind: "previous" });
    expect(commandForKey({ key: "?" })).toEqual({ kind: "help" });
    expect(commandForKey({ key: "Escape" })).toEqual({ kind: "close" });
  });

  it("leaves browser shortcuts and typing alone", () => {
    expect(commandForKey({ key: "a", ctrlKey: true })).toBeNull();
    expect(commandForKey({ key: "r", metaKey: true })).toBeNull();
    expect(isTypingTarget({ tagName: "INPUT", type: "number" } as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget({ tagName: "INPUT", type: "checkbox" } as unknown as EventTarget)).toBe(false);
    expect(isTypingTarget({ tagName: "SELECT" } as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget({ tagName: "DIV", isContentEditable: true } as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget({ tagName: "BODY" } as unknown as EventTarget)).toBe(false);
  });
});

describe("queue window", () => {
  type Item = { id: string };
  const items = (...ids: string[]): Item[] => ids.map((id) => ({ id }));
  const loaded = (s: QueueState<Item>, ids: string[], requested = 3, total = 10) => queueReducer(s, { type: "loaded", items: items(...ids), total, requested });

  it("advances past decided items and asks for the next page at the right offset", () => {
    let s = loaded(emptyQueue<Item>(), ["a", "b", "c"]);
    expect(s.exhausted).toBe(false);
    s = queueReducer(s, { type: "outcome", id: "a", outcome: { kind: "accepted" } });
    expect(s.index).toBe(1);
    expect(s.total).toBe(9);
    // b is skipped (J), c decided: the server's queue still has b (and whatever follows c).
    s = queueReducer(s, { type: "next" });
    s = queueReducer(s, { type: "outcome", id: "c", outcome: { kind: "rejected" } });
    expect(s.index).toBe(3);
    expect(nextOffset(s)).toBe(1);
    expect(openAhead(s)).toBe(0);
    // The next page overlaps (b came back): no duplicates; a short page means the end.
    s = loaded(s, ["b", "d"]);
    expect(s.items.map((i) => i.id)).toEqual(["a", "b", "c", "d"]);
    expect(s.exhausted).toBe(true);
  });

  it("keeps the reviewer in place when another item's outcome arrives, and reopens failed ones", () => {
    let s = loaded(emptyQueue<Item>(), ["a", "b", "c"]);
    s = queueReducer(s, { type: "outcome", id: "a", outcome: { kind: "accepted" } });
    expect(s.index).toBe(1);
    s = queueReducer(s, { type: "outcome", id: "a", outcome: { kind: "conflict", message: "taken" } });
    expect(s.index).toBe(1);
    expect(s.total).toBe(9);
    s = queueReducer(s, { type: "reopen", id: "a" });
    expect(s.outcomes).toEqual({});
    expect(s.total).toBe(10);
    s = queueReducer(s, { type: "previous" });
    s = queueReducer(s, { type: "previous" });
    expect(s.index).toBe(0);
    expect(queueReducer(s, { type: "loaded", items: items("x"), total: 1, requested: 3, reset: true }).items).toEqual([{ id: "x" }]);
  });
});

describe("mask overlay", () => {
  it("decodes a COCO RLE written independently and paints the mask in the label colour, edges opaque", () => {
    const [h, w] = [6, 7];
    const mask = decodeMaskRle(rectangleRle(h, w, [1, 2, 4, 3]), h, w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      expect(mask.data[y * w + x], `pixel ${x},${y}`).toBe(x >= 1 && x < 5 && y >= 2 && y < 5 ? 1 : 0);
    }
    const px = overlayPixels(mask, "#ff8000", 0.5);
    const at = (x: number, y: number) => [...px.slice((y * w + x) * 4, (y * w + x) * 4 + 4)];
    expect(at(0, 0)).toEqual([0, 0, 0, 0]);
    expect(at(1, 2)).toEqual([255, 128, 0, 255]); // corner of the rectangle: edge
    expect(at(2, 3)).toEqual([255, 128, 0, 128]); // inside: half transparent
    expect(at(4, 4)).toEqual([255, 128, 0, 255]);
  });

  it("refuses an RLE of another size and a malformed colour, naming them", () => {
    expect(() => decodeMaskRle(rectangleRle(6, 7, [0, 0, 1, 1]), 6, 8)).toThrow(/48|42/);
    expect(hexToRgb("#0a0B0c")).toEqual([10, 11, 12]);
    expect(() => hexToRgb("red")).toThrow(MaskColorError);
  });
});

describe("chart arithmetic", () => {
  it("picks nice ticks that cover the data", () => {
    expect(niceTicks(0, 97, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(0, 0, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(0, 12345, 4)).toEqual([0, 5000, 10000, 15000]);
    expect(linear([0, 10], [100, 0])(2.5)).toBe(75);
  });

  it("accumulates masks per stage over shared time buckets", () => {
    const t = (d: number) => new Date(Date.UTC(2026, 0, d));
    const series = cumulativeByStage([
      { t: t(1), stage: 1, n: 5 }, { t: t(2), stage: 1, n: 3 }, { t: t(2), stage: 2, n: 10 }, { t: t(3), stage: 2, n: 1 },
    ]);
    expect(series.map((s) => [s.name, s.points.map((p) => p.y)])).toEqual([
      ["stage 1 assisted", [5, 8, 8]],
      ["stage 2 semi-automatic", [0, 10, 11]],
    ]);
  });

  it("bins masks-per-image counts into equal integer bins and computes acceptance", () => {
    expect(histogramBins([{ masks: 0, images: 2 }, { masks: 3, images: 1 }], 12)).toEqual([0, 1, 2, 3].map((m) => ({ from: m, to: m, images: m === 0 ? 2 : m === 3 ? 1 : 0 })));
    const bins = histogramBins([{ masks: 1, images: 1 }, { masks: 25, images: 4 }, { masks: 26, images: 1 }], 10);
    expect(bins.length).toBeLessThanOrEqual(10);
    expect(bins.reduce((a, b) => a + b.images, 0)).toBe(6);
    expect(bins.find((b) => b.from <= 25 && 25 <= b.to)!.images).toBe(5);
    expect(acceptanceSeries([{ t: new Date(0), accepted: 3, rejected: 1 }, { t: new Date(1), accepted: 0, rejected: 0 }])).toEqual([{ x: 0, y: 0.75 }]);
  });
});
