import { z } from "zod";

export const embedParams = z
  .object({
    /** Images to embed; omitted: every image of the project that lacks an embedding for the model. */
    imageIds: z.array(z.string().min(1)).min(1).max(100_000).optional(),
    /** Model to embed with; omitted: the project's active model. */
    modelVersionId: z.string().min(1).optional(),
  })
  .strict();

export type EmbedParams = z.infer<typeof embedParams>;
