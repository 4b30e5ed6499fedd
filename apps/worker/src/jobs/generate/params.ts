import { z } from "zod";
import { AmgOptionsError, amgPreset, resolveAmgOptions } from "@data-engine/sam-core";
import { amgOverridesSchema, amgPresetName } from "../../project-settings.ts";

const imageStatus = z.enum(["NEW", "IN_PROGRESS", "ANNOTATED", "REVIEWED", "SKIPPED"]);

export const generateParams = z
  .object({
    /** Images to generate on; omitted: every image of the project (narrowed by `statuses`). */
    imageIds: z.array(z.string().min(1)).min(1).max(100_000).optional(),
    /** Only images in these statuses. */
    statuses: z.array(imageStatus).min(1).optional(),
    /** Omitted: the project's `settings.generation.preset`. */
    preset: amgPresetName.optional(),
    /** AMG options over the preset and the project's `settings.generation`. */
    amg: amgOverridesSchema.optional(),
    /** review: every mask PROPOSED at stage 2; auto: masks above the project's autoAccept thresholds ACCEPTED at stage 3. */
    mode: z.enum(["review", "auto"]).default("review"),
  })
  .strict()
  .superRefine((p, ctx) => {
    // The combination (e.g. pointsPerSide with crop layers and a downscale factor) is checked by the
    // generator's own validation, so a bad job never reaches the queue.
    try {
      resolveAmgOptions(amgPreset(p.preset ?? "default", p.amg ?? {}));
    } catch (error) {
      if (!(error instanceof AmgOptionsError)) throw error;
      ctx.addIssue({ code: "custom", path: ["amg"], message: error.message });
    }
  });

export type GenerateParams = z.infer<typeof generateParams>;
