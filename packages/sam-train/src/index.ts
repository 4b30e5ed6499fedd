// @data-engine/sam-train: fine-tuning SAM's prompt encoder + mask decoder in TypeScript (tfjs-wasm),
// evaluation, and the procedural starter model. Node or browser: no file system here.
export { initTf, tf } from "./tf/backend.ts";
export {
  SamTrainError,
  EmptyDatasetError,
  MissingEmbeddingError,
  InvalidSampleError,
  TrainingDivergedError,
  TrainingCancelledError,
  CheckpointMismatchError,
} from "./errors.ts";
export { groupSamples, maskToModelFrame } from "./dataset.ts";
export type { MaskSample, ImageGroup } from "./dataset.ts";
export { trainDecoder, selectTrainable } from "./train.ts";
export type {
  TrainDecoderOptions,
  TrainDecoderResult,
  TrainProgress,
  StepLog,
  TrainableSpec,
} from "./train.ts";
export { PAPER_SIMULATION, simulateObjects } from "./interactive.ts";
export type { SimulationOptions, SimulationArgs, SimulationResult, LossParts } from "./interactive.ts";
export { PAPER_LOSS_WEIGHTS, focalLoss, diceLoss, maskIou } from "./loss.ts";
export type { LossWeights } from "./loss.ts";
export { learningRate, AdamW } from "./optimizer.ts";
export type { LrSchedule, AdamWOptions } from "./optimizer.ts";
export { encodeCheckpoint, decodeCheckpoint } from "./checkpoint.ts";
export type { CheckpointStore } from "./checkpoint.ts";
export { evaluate, tfjsDecoder, onnxDecoder } from "./evaluate.ts";
export type { EvalResult, EvalOptions, DecodeFn } from "./evaluate.ts";
export { exportDecoder } from "./export.ts";
export type { ExportedDecoder } from "./export.ts";
export { decoderForward, decoderConstants } from "./model/decoder.ts";
export type { DecoderBatch, DecoderOutput } from "./model/decoder.ts";
export { encoderForward } from "./model/encoder.ts";
export { Prng } from "./random.ts";
export {
  samplePointInside,
  noisyBox,
  sampleErrorPoint,
  centerClick,
  correctiveClick,
  maskBoxInFrame,
} from "./simulate.ts";
export type { Point } from "./simulate.ts";
export { generateScene, downsampleMask } from "./starter/scenes.ts";
export type { Scene, SceneDomain, SceneOptions } from "./starter/scenes.ts";
export { trainStarter, STARTER_SIMULATION } from "./starter/train-starter.ts";
export type { StarterOptions, StarterResult } from "./starter/train-starter.ts";
export { sceneSamples, evaluateModel } from "./starter/eval-starter.ts";
