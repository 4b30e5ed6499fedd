// Parameters of a retraining round (RETRAIN job), validated before the job is queued.
import { z } from "zod";
import { exportFilter } from "../export/params.ts";

export const trainerSettings = z
  .object({
    /** Optimizer steps (one image with up to `maxObjectsPerStep` of its masks per step). */
    steps: z.int().min(1).max(100_000).default(200),
    /** Which decoder parameters are fine-tuned: all, or the hypernetwork MLPs + IoU head only. */
    trainable: z.enum(["all", "heads"]).default("all"),
    lr: z.number().positive().max(1).default(1e-4),
    warmupSteps: z.int().min(0).optional(),
    decay: z.enum(["cosine", "constant"]).default("cosine"),
    weightDecay: z.number().min(0).max(1).default(0.01),
    clipGradNorm: z.number().positive().optional(),
    maxObjectsPerStep: z.int().min(1).max(64).default(8),
    seed: z.int().min(0).max(2 ** 31 - 1).default(0),
    /** Interactive simulation: corrective point rounds, mask-only rounds, share of box first prompts. */
    pointRounds: z.int().min(0).max(16).default(8),
    maskOnlyRounds: z.int().min(0).max(8).default(2),
    boxProbability: z.number().min(0).max(1).default(0.5),
    /** Loss weights; the paper's focal:dice:iou is 20:1:1. */
    loss: z
      .object({ focal: z.number().min(0), dice: z.number().min(0), iou: z.number().min(0) })
      .strict()
      .refine((l) => l.focal + l.dice > 0, { message: "focal and dice cannot both be 0" })
      .default({ focal: 20, dice: 1, iou: 1 }),
    /** Save a checkpoint every N steps (a killed job resumes from the last one). */
    checkpointEvery: z.int().min(1).max(10_000).default(10),
    /** Corrective clicks of the evaluation protocol. */
    evalClicks: z.int().min(1).max(20).default(5),
  })
  .strict();

export const retrainParams = z
  .object({
    name: z.string().min(1).max(200).optional(),
    /** The model whose decoder is fine-tuned (default: the project's active model). */
    baseModelVersionId: z.string().min(1).optional(),
    /** Train on an existing TRAINING dataset version instead of freezing a new one. */
    datasetVersionId: z.string().min(1).optional(),
    /** Which masks a new snapshot takes (default: every ACCEPTED mask of the project). */
    filter: exportFilter.default({ statuses: ["ACCEPTED"] }),
    /** Share of images held out for evaluation; the split is by image and stable across rounds. */
    heldOutFraction: z.number().gt(0).lt(1).default(0.2),
    splitSeed: z.int().min(0).max(2 ** 31 - 1).default(0),
    trainer: trainerSettings.default(() => trainerSettings.parse({})),
  })
  .strict();

export type RetrainParams = z.infer<typeof retrainParams>;
export type TrainerSettings = z.infer<typeof trainerSettings>;
