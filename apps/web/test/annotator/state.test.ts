// The draft reducer (undo/redo, SAM's prompting rules), shortcuts, zoom/pan, the embedding LRU and the
// store of masks kept across an expired session.
import { describe, expect, it } from "vitest";
import { listPending, keepPending, dropPending, type KeyValueStore, type PendingSave } from "../../src/annotator/data/pending-saves.ts";
import { parseIndex, touch } from "../../src/annotator/data/lru.ts";
import { hasShape, newSession, promptRequest, reduce, type Action, type Session } from "../../src/annotator/state/draft.ts";
import { SHORTCUTS, commandFor } from "../../src/annotator/state/shortcuts.ts";
import { fitView, toImage, toScreen, zoomAt } from "../../src/annotator/view/transform.ts";

const run = (s: Session, ...actions: Action[]) => actions.reduce(reduce, s);

describe("draft", () => {
  it("asks for three candidates after one click, then one answer refined from the chosen candidate", () => {
    let s = run(newSession("dog"), { type: "point", point: { x: 10, y: 20, label: 1 }, at: 5 });
    expect(promptRequest(s.present)).toEqual({ points: [[10, 20]], labels: [1], box: null, multimask: true, maskInput: null });
    s = reduce(s, { type: "result", resultId: 7, scores: [0.5, 0.9, 0.7], index: 1, forDraft: s.present });
    s = reduce(s, { type: "cycle", step: 1 });
    expect(s.present.result?.index).toBe(2);
    s = reduce(s, { type: "point", point: { x: 30, y: 40, label: 0 }, at: 9 });
    expect(promptRequest(s.present)).toEqual({ points: [[10, 20], [30, 40]], labels: [1, 0], box: null, multimask: false, maskInput: { resultId: 7, index: 2 } });
    expect(s.clicks).toBe(2);
    expect(s.startedAt).toBe(5);
  });

  it("a box alone asks for one answer; a selected mask is refined from its own pixels", () => {
    const boxed = run(newSession(), { type: "box", box: [50, 60, 10, 20], at: 1 });
    expect(promptRequest(boxed.present)).toMatchObject({ box: [10, 20, 50, 60], multimask: false, maskInput: null });
    const opened = run(newSession(), { type: "open", target: { maskId: "m1", version: 3, labelClassId: "cat" } }, { type: "point", point: { x: 1, y: 2, label: 1 }, at: 0 });
    expect(promptRequest(opened.present)).toMatchObject({ multimask: false, maskInput: { maskId: "m1" } });
    expect(opened.present.labelClassId).toBe("cat");
  });

  it("undo and redo walk the history, keep the chosen label, and a new action clears redo", () => {
    let s = run(
      newSession("a"),
      { type: "point", point: { x: 1, y: 1, label: 1 }, at: 0 },
      { type: "edit", edit: { kind: "fill" }, at: 1 },
      { type: "label", labelClassId: "b" },
      { type: "undo" },
    );
    expect(s.present.edits).toEqual([]);
    expect(s.present.points).toHaveLength(1);
    expect(s.present.labelClassId).toBe("b");
    s = reduce(s, { type: "redo" });
    expect(s.present.edits).toEqual([{ kind: "fill" }]);
    s = run(s, { type: "undo" }, { type: "undo" });
    expect(s.present.points).toHaveLength(0);
    expect(reduce(s, { type: "undo" })).toBe(s);
    s = reduce(s, { type: "point", point: { x: 2, y: 2, label: 0 }, at: 3 });
    expect(s.future).toHaveLength(0);
    expect(s.clicks).toBe(3);
  });

  it("drops a decoder answer that arrives after the draft moved on", () => {
    const s1 = run(newSession(), { type: "point", point: { x: 1, y: 1, label: 1 }, at: 0 });
    const asked = s1.present;
    const s2 = reduce(s1, { type: "undo" });
    expect(reduce(s2, { type: "result", resultId: 1, scores: [1], index: 0, forDraft: asked }).present.result).toBeNull();
    const s3 = reduce(s1, { type: "label", labelClassId: "x" });
    expect(reduce(s3, { type: "result", resultId: 1, scores: [1], index: 0, forDraft: asked }).present.result?.resultId).toBe(1);
  });

  it("has something to save only with a shape or, for an existing mask, a new label", () => {
    expect(hasShape(newSession().present)).toBe(false);
    const opened = reduce(newSession(), { type: "open", target: { maskId: "m", version: 1, labelClassId: "a" } });
    expect(hasShape(opened.present)).toBe(false);
    expect(hasShape(reduce(opened, { type: "label", labelClassId: "b" }).present)).toBe(true);
  });
});

describe("shortcuts", () => {
  const key = (k: string, mods: Partial<{ ctrlKey: boolean; shiftKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });
  it("maps keys to commands without ambiguity", () => {
    expect(commandFor(key("z", { ctrlKey: true }))).toBe("undo");
    expect(commandFor(key("Z", { ctrlKey: true, shiftKey: true }))).toBe("redo");
    expect(commandFor(key("n"))).toBe("next-image");
    expect(commandFor(key("N", { shiftKey: true }))).toBe("previous-image");
    expect(commandFor(key("Tab", { shiftKey: true }))).toBe("previous-candidate");
    expect(commandFor(key("3"))).toEqual({ label: 2 });
    expect(commandFor(key("q"))).toBeNull();
    const keys = SHORTCUTS.filter((s) => s.description).map((s) => s.keys);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("view", () => {
  it("fits the image and zooms about the pointer", () => {
    const v = fitView({ width: 400, height: 200 }, { width: 816, height: 616 });
    expect(v.scale).toBe(2);
    expect(toScreen(v, 0, 0)).toEqual([8, 108]);
    const z = zoomAt(v, 3, 300, 250);
    const before = toImage(v, 300, 250);
    const after = toImage(z, 300, 250);
    expect(after[0]).toBeCloseTo(before[0], 9);
    expect(after[1]).toBeCloseTo(before[1], 9);
    expect(z.scale).toBe(6);
  });
});

describe("embedding LRU", () => {
  it("keeps the most recently used keys within capacity", () => {
    let index = touch([], "a", 1, 2).index;
    index = touch(index, "b", 2, 2).index;
    index = touch(index, "a", 3, 2).index;
    const r = touch(index, "c", 4, 2);
    expect(r.evict).toEqual(["b"]);
    expect(r.index.map((e) => e.key)).toEqual(["c", "a"]);
    expect(parseIndex("not json")).toEqual([]);
    expect(parseIndex(JSON.stringify(r.index))).toEqual(r.index);
  });
});

describe("pending saves", () => {
  class MemoryStore implements KeyValueStore {
    private m = new Map<string, string>();
    getItem = (k: string) => this.m.get(k) ?? null;
    setItem = (k: string, v: string) => void this.m.set(k, v);
    removeItem = (k: string) => void this.m.delete(k);
    get length() {
      return this.m.size;
    }
    key = (i: number) => [...this.m.keys()][i] ?? null;
  }
  it("returns only this user's entries for this image, oldest first, until dropped", () => {
    const store = new MemoryStore();
    const e = (key: string, userId: string, imageId: string, savedAt: number): PendingSave => ({ key, userId, projectId: "p", imageId, savedAt, kind: "create", input: { rle: "12" } });
    keepPending(store, e("k2", "u", "i", 20));
    keepPending(store, e("k1", "u", "i", 10));
    keepPending(store, e("k3", "other", "i", 5));
    keepPending(store, e("k4", "u", "j", 5));
    store.setItem("annotator:pending:broken", "{");
    expect(listPending(store, "u", "i").map((x) => x.key)).toEqual(["k1", "k2"]);
    dropPending(store, "k1");
    expect(listPending(store, "u", "i").map((x) => x.key)).toEqual(["k2"]);
  });
});
