// The starter's encoder stage (grouping-loss.ts, grouping-pretrain.ts): cell labels from masks, the pair
// loss against a direct computation and finite differences, the decoder-free grouping probe, and the
// pretraining loop (it lowers the loss on its scenes, is deterministic, resumes exactly, refuses another
// run's checkpoint, hands its encoder to trainStarter), and the grouping loss added in stage 2.
import { describe, expect, it } from "vitest";
import { initEncoderWeights, type BinaryMask, type WeightMap } from "@data-engine/sam-core";
import { CheckpointMismatchError } from "../src/errors.ts";
import { initTf, tf } from "../src/tf/backend.ts";
import { cellSegments, groupingLoss, pairTargets } from "../src/starter/grouping-loss.ts";
import { cellGroupingIoU } from "../src/starter/grouping-probe.ts";
import { pretrainEncoderGrouping } from "../src/starter/grouping-pretrain.ts";
import { starterConfig, trainStarter } from "../src/starter/train-starter.ts";

// An 8x8 image on a 2x2 grid of 4x4 cells: object 1 fills the top-left cell and 2 of the top-right
// cell's 16 pixels; object 2 fills the bottom-right cell but one pixel.
function masks(): BinaryMask[] {
  const a = new Uint8Array(64);
  const b = new Uint8Array(64);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) a[y * 8 + x] = 1;
  a[4] = a[5] = 1;
  for (let y = 4; y < 8; y++) for (let x = 4; x < 8; x++) b[y * 8 + x] = 1;
  b[63] = 0;
  return [a, b].map((data) => ({ width: 8, height: 8, data }));
}

function directLoss(
  emb: Float32Array,
  C: number,
  n: number,
  t: Float32Array,
  w: Float32Array,
  k = 10,
  m = 0.5,
) {
  const unit = (i: number) => {
    const v = Array.from({ length: C }, (_, c) => emb[c * n + i]!);
    const s = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    return v.map((x) => x / s);
  };
  let loss = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const p = i * n + j;
      if (!w[p]) continue;
      const cos = unit(i).reduce((a, x, c) => a + x * unit(j)[c]!, 0);
      const s = 1 / (1 + Math.exp(-k * (cos - m)));
      loss -= w[p]! * (t[p] ? Math.log(s) : Math.log(1 - s));
    }
  return loss;
}

describe("grouping loss", () => {
  it("labels each cell with its majority segment and leaves mixed cells out", () => {
    const seg = cellSegments(masks(), 8, 2);
    expect(Array.from(seg.label)).toEqual([1, 0, 0, 2]);
    // top-right: background 14 of 16 (0.875 >= 0.75); bottom-right: object 2 15 of 16
    expect(Array.from(seg.valid)).toEqual([1, 1, 1, 1]);
    expect(Array.from(cellSegments(masks(), 8, 2, 0.9).valid)).toEqual([1, 0, 1, 1]);
    expect(() => cellSegments(masks(), 8, 3)).toThrow(/multiple/);
  });

  it("weights positives and negatives to half the loss each, and has no pairs for one segment", () => {
    const seg = { label: Int32Array.from([1, 1, 0, 2]), valid: Uint8Array.from([1, 1, 1, 0]), side: 2 };
    const p = pairTargets(seg)!;
    const sum = (f: (i: number) => boolean) => p.weight.reduce((a, w, i) => a + (f(i) ? w : 0), 0);
    expect(sum((i) => p.target[i] === 1)).toBeCloseTo(0.5, 6);
    expect(sum((i) => p.target[i] === 0)).toBeCloseTo(0.5, 6);
    // pairs with the invalid cell 3 and the diagonal weigh nothing
    for (let j = 0; j < 4; j++) expect(p.weight[3 * 4 + j]).toBe(0);
    expect(p.weight[0]).toBe(0);
    expect(
      pairTargets({ label: Int32Array.from([1, 1, 1, 1]), valid: Uint8Array.from([1, 1, 1, 1]), side: 2 }),
    ).toBeNull();
  });

  it("equals a direct computation, and its gradient matches finite differences", async () => {
    await initTf();
    const C = 3;
    const n = 4;
    const emb = Float32Array.from({ length: C * n }, (_, i) => Math.sin(i * 1.7) + 0.3);
    const p = pairTargets({
      label: Int32Array.from([1, 1, 0, 2]),
      valid: Uint8Array.from([1, 1, 1, 1]),
      side: 2,
    })!;
    const x = tf.tensor4d(emb, [1, C, 2, 2]);
    const got = groupingLoss(x, p).dataSync()[0]!;
    expect(got).toBeCloseTo(directLoss(emb, C, n, p.target, p.weight), 4);
    const g = tf
      .grad((e: tf.Tensor) => groupingLoss(e, p))(x)
      .dataSync();
    const h = 1e-2;
    for (const i of [0, 5, 11]) {
      const plus = Float32Array.from(emb);
      const minus = Float32Array.from(emb);
      plus[i]! += h;
      minus[i]! -= h;
      const fd =
        (directLoss(plus, C, n, p.target, p.weight) - directLoss(minus, C, n, p.target, p.weight)) / (2 * h);
      expect(Math.abs(g[i]! - fd)).toBeLessThan(2e-3 + 0.02 * Math.abs(fd));
    }
    x.dispose();
  });

  it("probe: 1 for an embedding that separates the segments, the objects' share for a constant one", () => {
    const seg = { label: Int32Array.from([1, 1, 0, 2]), valid: Uint8Array.from([1, 1, 1, 1]), side: 2 };
    // channel-major [C=3, 4 cells]: one-hot per segment
    const oneHot = Float32Array.from([0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1]);
    expect(cellGroupingIoU(oneHot, 3, seg)).toEqual([1, 1]);
    const constant = new Float32Array(12).fill(1);
    expect(cellGroupingIoU(constant, 3, seg)).toEqual([2 / 4, 1 / 4]);
  });
});

describe("grouping pretraining", () => {
  // 8 px patches: an 8x8 grid, so that most 64 px scenes have cells of two or more segments
  const cfg = starterConfig(64, 8, 4);
  const ec = cfg.encoder;
  const base = { config: ec, start: initEncoderWeights(ec, 3), startLabel: "random 3", seed: 2 };
  const memory = () => {
    let bytes: Uint8Array | null = null;
    return { load: async () => bytes, save: async (b: Uint8Array) => void (bytes = b) };
  };
  // Stage 2 (trainStarter) on the same config: one prompt per object, no corrections, dice + IoU.
  const stage2 = {
    config: cfg,
    maxObjects: 3,
    simulation: { pointRounds: 1, maskOnlyRounds: 0, boxProbability: 0.5 },
    loss: { focal: 0, dice: 1, iou: 1 },
  };
  const equal = (a: WeightMap, b: WeightMap) =>
    [...a].every(([n, t]) => t.data.every((v, i) => v === b.get(n)!.data[i]));

  it("lowers the loss on the scenes it trains on", async () => {
    const schedule = { lr: 3e-3, warmupSteps: 0, decay: "constant" as const };
    const r = await pretrainEncoderGrouping({ ...base, steps: 40, schedule });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // the loss per step is noisy (a new scene each step): compare the first and last thirds
    const l = r.log.map((e) => e.loss);
    expect(l.length).toBeGreaterThan(30);
    expect(mean(l.slice(-10))).toBeLessThan(0.8 * mean(l.slice(0, 10)));
  }, 120_000);

  it("is deterministic, resumes exactly, refuses another run's checkpoint, and feeds trainStarter", async () => {
    const once = await pretrainEncoderGrouping({ ...base, steps: 4 });
    const again = await pretrainEncoderGrouping({ ...base, steps: 4 });
    expect(equal(once.encoder, again.encoder)).toBe(true);
    expect(equal(once.encoder, base.start)).toBe(false);

    const store = memory();
    const cancel = new AbortController();
    await expect(
      pretrainEncoderGrouping({
        ...base,
        steps: 4,
        checkpoint: { store, every: 100 },
        signal: cancel.signal,
        onProgress: (p) => p.step === 1 && cancel.abort(),
      }),
    ).rejects.toThrow(/cancelled before step 2/);
    const resumed = await pretrainEncoderGrouping({ ...base, steps: 4, checkpoint: { store, every: 100 } });
    expect(equal(resumed.encoder, once.encoder)).toBe(true);
    await expect(
      pretrainEncoderGrouping({ ...base, seed: 5, steps: 4, checkpoint: { store, every: 100 } }),
    ).rejects.toBeInstanceOf(CheckpointMismatchError);

    const handedOver = await trainStarter({
      ...stage2,
      steps: 1,
      seed: 9,
      encoderLrScale: 0,
      encoderInit: { weights: once.encoder, label: "stage 1" },
    });
    expect(equal(handedOver.encoder, once.encoder)).toBe(true);
    await expect(
      trainStarter({
        config: cfg,
        steps: 1,
        encoderInit: { weights: once.encoder, label: "x" },
        encoderStart: {},
      }),
    ).rejects.toThrow(/excludes/);
  }, 120_000);

  it("adds the grouping loss to the encoder's gradient in stage 2 when asked (groupingWeight)", async () => {
    const run = (groupingWeight: number, encoderLrScale: number) =>
      trainStarter({
        ...stage2,
        steps: 2,
        seed: 4,
        encoderLrScale,
        groupingWeight,
        encoderInit: { weights: base.start, label: "random 3" },
      });
    const [plain, grouped, frozen] = await Promise.all([run(0, 1), run(1, 1), run(1, 0)]);
    expect(equal(plain.encoder, base.start)).toBe(false);
    expect(equal(grouped.encoder, plain.encoder)).toBe(false);
    // a frozen encoder stays frozen whatever the grouping weight
    expect(equal(frozen.encoder, base.start)).toBe(true);
  }, 120_000);
});
