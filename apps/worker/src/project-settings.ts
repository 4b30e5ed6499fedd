// The keys of Project.settings that jobs read, with their defaults, in one place. Other parts of the
// product may keep their own keys next to these: unknown top-level keys pass through untouched.
//
//   generation  how automatic mask generation runs when a job does not say otherwise:
//               preset ("default" = one 32x32 grid; "sa1b" = the paper's grid + 2 crop layers) and any
//               AMG option on top of it (pointsPerSide, predIouThresh, stabilityScoreThresh, ...).
//   autoAccept  in "auto" generation mode, masks with predicted IoU >= iou AND stability >= stability
//               are ACCEPTED at stage 3; the rest are PROPOSED at stage 2 for review. Stricter than the
//               generation filters (0.88 / 0.95), so only the most confident skip review.
//   dedup       a new automatic mask is dropped when its mask IoU with a mask the image already has
//               (accepted or proposed) is >= iouThresh, or when one lies inside the other:
//               intersection / smaller area >= containmentThresh.
import { z } from "zod";
import { JobParamsError } from "./errors.ts";
import { formatZodError } from "./queue/zod-format.ts";

const fraction = z.number().min(0).max(1);
/** A threshold where 0 would make everything match. */
const positiveFraction = z.number().gt(0).max(1);

/** AMG options a project or a job may set (the output format and explicit grids are the job's business). */
export const amgOverridesSchema = z
  .object({
    pointsPerSide: z.number().int().min(1).max(512),
    pointsPerBatch: z.number().int().min(1).max(4096),
    predIouThresh: fraction,
    stabilityScoreThresh: fraction,
    stabilityScoreOffset: z.number().min(0).max(100),
    boxNmsThresh: fraction,
    cropNLayers: z.number().int().min(0).max(4),
    cropNmsThresh: fraction,
    cropOverlapRatio: z.number().min(0).lt(1),
    cropNPointsDownscaleFactor: z.number().int().min(1).max(512),
    minMaskRegionArea: z.number().min(0),
    maxMaskAreaFraction: z.number().gt(0).max(1),
  })
  .partial()
  .strict();

export type AmgOverrides = z.infer<typeof amgOverridesSchema>;

export const amgPresetName = z.enum(["default", "sa1b"]);

export const PROJECT_SETTINGS_DEFAULTS = {
  generation: { preset: "default" as const },
  autoAccept: { iou: 0.95, stability: 0.97 },
  dedup: { iouThresh: 0.7, containmentThresh: 0.9 },
};

export const projectSettingsSchema = z
  .object({
    generation: amgOverridesSchema.extend({ preset: amgPresetName.default(PROJECT_SETTINGS_DEFAULTS.generation.preset) }).prefault({}),
    autoAccept: z
      .object({ iou: fraction.default(PROJECT_SETTINGS_DEFAULTS.autoAccept.iou), stability: fraction.default(PROJECT_SETTINGS_DEFAULTS.autoAccept.stability) })
      .strict()
      .prefault({}),
    dedup: z
      .object({
        iouThresh: positiveFraction.default(PROJECT_SETTINGS_DEFAULTS.dedup.iouThresh),
        containmentThresh: positiveFraction.default(PROJECT_SETTINGS_DEFAULTS.dedup.containmentThresh),
      })
      .strict()
      .prefault({}),
  })
  .loose();

export type ProjectSettings = z.infer<typeof projectSettingsSchema>;

/** The project's settings with defaults filled in; a clear error naming the bad key otherwise. */
export function parseProjectSettings(settings: unknown): ProjectSettings {
  const parsed = projectSettingsSchema.safeParse(settings ?? {});
  if (!parsed.success) {
    const issues = formatZodError(parsed.error);
    throw new JobParamsError(`Invalid project settings: ${issues.join("; ")}`, issues);
  }
  return parsed.data;
}
