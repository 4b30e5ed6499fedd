// The worker's engine on a real (tiny, random-weight) SAM decoder under onnxruntime-web in Node, checked
// against sam-core's SamPredictor, an independent path through the same model.
import { createWebBackend, decodeMask, encodeMask, type SamPredictor } from "@data-engine/sam-core/web";
import { beforeAll, describe, expect, it } from "vitest";
import { AnnotatorEngine } from "../../src/annotator/worker/engine.ts";
import { MODEL_ID, tinySetup, type TinySetup } from "./tiny-model.ts";

let t: TinySetup;
let engine: AnnotatorEngine;
let predictor: SamPredictor;

beforeAll(async () => {
  t = await tinySetup(120, 90);
  predictor = t.predictor;
  engine = await AnnotatorEngine.create({ backend: createWebBackend(), decoder: t.decoder, modelId: MODEL_ID });
  engine.setImage("img", t.blob, t.size);
}, 60_000);

const noDraft = { baseMaskId: null, edits: [] };
const sameMask = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

describe("AnnotatorEngine", () => {
  it("gives three candidates for one click; the saved mask is the decoder's full-size mask, and the live one matches it", async () => {
    const p = await engine.predict({ points: [[40, 45]], labels: [1], box: null, maskInput: null, multimask: true });
    expect(p.scores).toHaveLength(3);
    // The reference: sam-core's predictor on the float32 embedding (the engine reads the float16 blob: near-equal).
    const ref = await predictor.predict({ points: [[40, 45]], labels: [1], multimask: true });
    for (const [i, s] of ref.scores.entries()) expect(p.scores[i]!).toBeCloseTo(s, 2);
    let differentCandidates = 0;
    for (let i = 0; i < 3; i++) {
      const draft = { ...noDraft, result: { resultId: p.resultId, index: i } };
      const saved = await engine.finalize(draft);
      const full = decodeMask({ size: saved.size, counts: saved.counts }).data;
      const agree = full.reduce((n, v, k) => n + (v === ref.masks[i]!.data[k] ? 1 : 0), 0) / full.length;
      expect(agree).toBeGreaterThan(0.99);
      // The image is smaller than the work frame, so the live mask is on the original grid: identical.
      expect(sameMask(engine.draftFrameMask(draft), full)).toBe(true);
      if (i > 0 && saved.counts !== (await engine.finalize({ ...noDraft, result: { resultId: p.resultId, index: 0 } })).counts) differentCandidates++;
    }
    expect(differentCandidates).toBeGreaterThan(0);
  });

  it("refines with the previous candidate's low-res logits like the predictor does", async () => {
    const first = await engine.predict({ points: [[40, 45]], labels: [1], box: null, maskInput: null, multimask: true });
    const second = await engine.predict({ points: [[40, 45], [100, 20]], labels: [1, 0], box: null, maskInput: { resultId: first.resultId, index: 1 }, multimask: false });
    const r1 = await predictor.predictLowRes({ points: [[40, 45]], labels: [1], multimask: true });
    const r2 = await predictor.predict({ points: [[40, 45], [100, 20]], labels: [1, 0], multimask: false, maskInput: r1.lowResLogits[1] });
    expect(second.scores).toHaveLength(1);
    expect(second.scores[0]!).toBeCloseTo(r2.scores[0]!, 2);
    const saved = await engine.finalize({ ...noDraft, result: { resultId: second.resultId, index: 0 } });
    const full = decodeMask({ size: saved.size, counts: saved.counts }).data;
    expect(full.reduce((n, v, k) => n + (v === r2.masks[0]!.data[k] ? 1 : 0), 0) / full.length).toBeGreaterThan(0.99);
  });

  it("applies brush, eraser and fill at full resolution on save", async () => {
    const draft = { result: null, baseMaskId: null, edits: [{ kind: "brush" as const, radius: 10, points: [[30, 30]] as [number, number][] }, { kind: "erase" as const, radius: 3, points: [[30, 30]] as [number, number][] }] };
    const saved = await engine.finalize(draft);
    expect(saved.predictedIou).toBeNull();
    const area = Math.PI * 100 - Math.PI * 9;
    expect(Math.abs(saved.area - area) / area).toBeLessThan(0.06);
    const filled = await engine.finalize({ ...draft, edits: [...draft.edits, { kind: "fill" }] });
    expect(Math.abs(filled.area - Math.PI * 100) / (Math.PI * 100)).toBeLessThan(0.05);
  });

  it("shows existing masks, finds the smallest under a point, and refines one from its pixels", async () => {
    const { width, height } = t.size;
    const rect = (x0: number, y0: number, x1: number, y1: number) => {
      const data = new Uint8Array(width * height);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * width + x] = 1;
      return encodeMask({ width, height, data }).counts;
    };
    engine.setMasks([
      { id: "big", rle: rect(0, 0, 100, 80), color: "#ff0000" },
      { id: "small", rle: rect(20, 20, 40, 40), color: "#00ff00" },
    ]);
    expect(engine.hitTest(30, 30)).toBe("small");
    expect(engine.hitTest(70, 60)).toBe("big");
    expect(engine.hitTest(110, 85)).toBeNull();
    expect(engine.hitTest(30, 30, ["small"])).toBe("big");
    const others = engine.renderOthers(["big"]);
    expect(others.area).toBe(400);
    expect(others.rgba[4 * (30 * width + 30) + 1]).toBe(255); // green fill of "small"
    // Unchanged base + an erase: exact pixels of the stored mask minus the pen.
    const edited = await engine.finalize({ result: null, baseMaskId: "small", edits: [{ kind: "erase", radius: 4, points: [[20, 30], [40, 30]] }] });
    expect(edited.area).toBeLessThan(400);
    expect(edited.area).toBeGreaterThan(200);
    const refined = await engine.predict({ points: [[30, 30]], labels: [1], box: null, maskInput: { maskId: "small" }, multimask: false });
    expect(refined.scores).toHaveLength(1);
  });

  it("refuses an embedding of another model or another image size, with the reason", async () => {
    const other = await AnnotatorEngine.create({ backend: createWebBackend(), decoder: t.decoder, modelId: "some-other-model" });
    expect(() => other.setImage("x", t.blob, t.size)).toThrow(/computed by model "model-version-under-test"/);
    expect(() => engine.setImage("x", t.blob, { width: 10, height: 10 })).toThrow(/computed for a 120x90 image/);
    engine.setImage("img", t.blob, t.size);
  });
});
