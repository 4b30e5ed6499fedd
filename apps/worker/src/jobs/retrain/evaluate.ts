// Held-out evaluation of a decoder (the interactive protocol of sam-train's `evaluate`: 1 click, 1 box,
// up to N corrective clicks, IoU calibration), run by onnxruntime on the throughput variant built from
// the weights, so the base model and the candidate are measured by the same code on the same masks.
import { buildDecoderOnnx, type DecoderConfig, type WeightMap } from "@data-engine/sam-core";
import { createNodeBackend } from "@data-engine/sam-core/node";
import { evaluate, onnxDecoder, type EvalResult, type MaskSample } from "@data-engine/sam-train";

export type HeldOutMetrics = Omit<EvalResult, "elapsedMs">;

export function evaluateWeights(
  config: DecoderConfig,
  weights: WeightMap,
  heldOut: readonly MaskSample[],
  maxClicks: number,
): Promise<HeldOutMetrics> {
  return evaluateThroughputDecoder(config, buildDecoderOnnx(config, weights, { variant: "throughput" }).model, heldOut, maxClicks);
}

/** The same, on a throughput decoder already built (when it is to be stored too: one build, not two). */
export async function evaluateThroughputDecoder(
  config: DecoderConfig,
  throughputModel: Uint8Array,
  heldOut: readonly MaskSample[],
  maxClicks: number,
): Promise<HeldOutMetrics> {
  const dec = await onnxDecoder(createNodeBackend(), throughputModel, config);
  try {
    const { elapsedMs: _elapsed, ...metrics } = await evaluate(config, dec.decode, heldOut, { maxClicks });
    return metrics;
  } finally {
    await dec.dispose();
  }
}

/**
 * Whether a candidate beats the model it would replace on the same held-out masks: a higher mIoU after
 * one click (the paper's headline interactive metric) without losing more than a point on the box or
 * the last corrective click.
 */
export function beats(candidate: HeldOutMetrics, incumbent: HeldOutMetrics): boolean {
  const last = (m: HeldOutMetrics) => m.mIoUClicks[m.mIoUClicks.length - 1] ?? m.mIoU1Click;
  return (
    candidate.mIoU1Click > incumbent.mIoU1Click &&
    candidate.mIoUBox >= incumbent.mIoUBox - 0.01 &&
    last(candidate) >= last(incumbent) - 0.01
  );
}
