import { z } from "zod";

export const exportFilter = z
  .object({
    statuses: z.array(z.enum(["PROPOSED", "ACCEPTED", "REJECTED", "SUPERSEDED"])).min(1).default(["ACCEPTED"]),
    /** Data engine stages (1 assisted, 2 semi-automatic, 3 automatic); omitted: all. */
    stages: z.array(z.int().min(1).max(3)).min(1).optional(),
    /** Label class names or ids; omitted: all masks, labelled or not. */
    labels: z.array(z.string().min(1)).min(1).optional(),
    modelVersionId: z.string().min(1).optional(),
    /** Masks created at or after / before this instant (ISO 8601). */
    createdFrom: z.iso.datetime({ offset: true }).optional(),
    createdTo: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((f) => !f.createdFrom || !f.createdTo || Date.parse(f.createdFrom) < Date.parse(f.createdTo), {
    message: "createdFrom must be before createdTo",
    path: ["createdTo"],
  });

export const exportOptions = z
  .object({
    formats: z
      .array(z.enum(["sa1b", "coco"]))
      .min(1)
      .default(["sa1b", "coco"]),
    /** COCO segmentation as polygons instead of RLE. */
    polygons: z.boolean().default(false),
    /** One PNG per mask under masks/. */
    pngMasks: z.boolean().default(false),
    /** Copy the (normalised) images into images/. */
    includeImages: z.boolean().default(false),
    /** One .tar.gz object, or a folder of objects. */
    layout: z.enum(["archive", "folder"]).default("archive"),
  })
  .strict();

export const exportParams = z
  .object({
    name: z.string().min(1).max(200).optional(),
    filter: exportFilter.default({ statuses: ["ACCEPTED"] }),
    options: exportOptions.default({ formats: ["sa1b", "coco"], polygons: false, pngMasks: false, includeImages: false, layout: "archive" }),
  })
  .strict();

export type ExportParams = z.infer<typeof exportParams>;
export type ExportFilter = z.infer<typeof exportFilter>;
export type ExportOptions = z.infer<typeof exportOptions>;
