/** A prompt the decoder cannot take (empty, non-finite, unknown label, wrong mask shape). */
export class PromptError extends Error {
  override name = "PromptError";
}

/** The predictor is used out of order (no image set, no encoder) or with models that do not fit. */
export class PredictorStateError extends Error {
  override name = "PredictorStateError";
}
