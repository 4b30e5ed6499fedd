/** Base class of every error sam-train throws on purpose. */
export class SamTrainError extends Error {
  override name = "SamTrainError";
}

/** The dataset has no usable samples, or fewer than the trainer or evaluator needs. */
export class EmptyDatasetError extends SamTrainError {
  override name = "EmptyDatasetError";
}

/** A sample's image has no embedding, or one whose shape does not fit the model. */
export class MissingEmbeddingError extends SamTrainError {
  override name = "MissingEmbeddingError";
}

/** A sample is malformed (mask size, empty mask, ...). */
export class InvalidSampleError extends SamTrainError {
  override name = "InvalidSampleError";
}

/** The loss or the gradients became NaN/Infinity; the weights of the last good step are kept. */
export class TrainingDivergedError extends SamTrainError {
  override name = "TrainingDivergedError";
  constructor(
    message: string,
    readonly step: number,
  ) {
    super(message);
  }
}

/** The AbortSignal fired; a checkpoint of the last finished step was saved when a store was given. */
export class TrainingCancelledError extends SamTrainError {
  override name = "TrainingCancelledError";
  constructor(
    message: string,
    readonly step: number,
  ) {
    super(message);
  }
}

/** A checkpoint does not belong to this run (other parameters, config or seed) or is corrupt. */
export class CheckpointMismatchError extends SamTrainError {
  override name = "CheckpointMismatchError";
}
