import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { importDecoderWeights } from "@data-engine/sam-core";
import { createNodeBackend } from "@data-engine/sam-core/node";
import { describe, expect, it } from "vitest";
import { evaluate, tfjsDecoder, type EvalResult } from "../src/evaluate.ts";
import { sceneSamples } from "../src/starter/eval-starter.ts";
import { trainDecoder } from "../src/train.ts";
import type { SimulationOptions } from "../src/interactive.ts";

/** The shipped starter, and the first starter (prompt-independent, shipped before session 4) kept as a fixture. */
const SHIPPED = new URL("../models/starter/", import.meta.url);
const FIRST_STARTER = new URL("./fixtures/starter-v1/", import.meta.url);

/** What one round is given: the unseen domain, and the round's recipe. */
interface Round {
  domain: "rings" | "large";
  trainable: "heads" | "all";
  simulation: SimulationOptions;
}

/**
 * The data engine's loop in miniature: a starter model (trained on "shapes" scenes only) meets a domain
 * it has never seen. Exact masks of 16 scenes there stand for the accepted annotations, one retraining
 * round of the decoder (60 steps) runs, and both versions are scored on 8 held-out scenes (1 click).
 */
async function oneRound(dir: URL, round: Round): Promise<{ before: EvalResult; after: EvalResult }> {
  const file = (f: string) => fileURLToPath(new URL(f, dir));
  const backend = createNodeBackend();
  const encoder = new Uint8Array(await readFile(file("encoder.onnx")));
  // The base version's decoder, through the same import path as a user's public decoder export; its
  // config (input size, embedding grid, heads) comes from the export's metadata.
  const base = importDecoderWeights(new Uint8Array(await readFile(file("decoder.onnx"))));
  const c = base.config;
  const common = { domain: round.domain, size: c.inputSize, grid: "low" as const, lowSide: 4 * c.embeddingSize };
  const train = await sceneSamples(backend, encoder, { ...common, count: 16, firstSeed: 5000 });
  const held = await sceneSamples(backend, encoder, { ...common, count: 8, firstSeed: 7000 });

  const baseDecoder = await tfjsDecoder(c, base.weights);
  const before = await evaluate(c, baseDecoder.decode, held, { maxClicks: 1 });
  baseDecoder.dispose();

  const r = await trainDecoder({
    config: c,
    baseWeights: base.weights,
    samples: train,
    steps: 60,
    trainable: round.trainable,
    seed: 1,
    maxObjectsPerStep: 4,
    simulation: round.simulation,
    schedule: { lr: 3e-4, warmupSteps: 2, decay: "constant" },
    // The starters were trained with dice + IoU only (see README); retraining keeps their recipe. With
    // the paper's 20x focal term the first starter collapses to all-background within a few steps.
    loss: { focal: 0, dice: 1, iou: 1 },
  });
  const retrained = await tfjsDecoder(c, r.weights);
  const after = await evaluate(c, retrained.decode, held, { maxClicks: 1 });
  retrained.dispose();
  console.log(
    `unseen domain "${round.domain}" 1-click mIoU: base ${before.mIoU1Click.toFixed(4)} -> retrained ${after.mIoU1Click.toFixed(4)} (${held.length} held-out masks)`,
  );
  return { before, after };
}

describe("one retraining round on an unseen domain", () => {
  it("raises the shipped starter's held-out 1-click mIoU on object scales it never saw", async () => {
    // "large": the training domain's shapes at 1.1-2x its largest size. The round trains every decoder
    // parameter with the starter's own recipe (one click then one error click, all three multimask
    // tokens on the clicked object: see README, "Attempts").
    const { before, after } = await oneRound(SHIPPED, {
      domain: "large",
      trainable: "all",
      simulation: { pointRounds: 1, maskOnlyRounds: 0, boxProbability: 0.5, multimaskLoss: "mean" },
    });
    expect(after.masks).toBeGreaterThanOrEqual(12);
    expect(before.mIoU1Click).toBeGreaterThan(0.15);
    expect(after.mIoU1Click).toBeGreaterThan(before.mIoU1Click + 0.03);
  }, 120_000);

  it("raises the first starter's held-out 1-click mIoU on rings (heads only, the paper's simulation)", async () => {
    // The first starter (prompt-independent, kept as a fixture) on "rings": the round of sessions 1-4.
    const { before, after } = await oneRound(FIRST_STARTER, {
      domain: "rings",
      trainable: "heads",
      simulation: { pointRounds: 2, maskOnlyRounds: 1, boxProbability: 0.5 },
    });
    expect(after.masks).toBeGreaterThanOrEqual(12);
    expect(after.mIoU1Click).toBeGreaterThan(before.mIoU1Click + 0.005);
  }, 120_000);
});
