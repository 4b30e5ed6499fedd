import { z } from "zod";
import { DEFAULT_MAX_PIXELS } from "./normalise.ts";

export const uploadSource = z
  .object({
    kind: z.literal("upload"),
    /** Storage prefix the browser uploaded to, e.g. "uploads/<batch id>/". */
    prefix: z
      .string()
      .regex(/^uploads\/[^\s]*$/, 'must start with "uploads/"')
      .refine((p) => !p.split("/").includes(".."), 'must not contain ".."'),
    /** Delete each upload once it is imported or found to be a duplicate. */
    deleteAfterImport: z.boolean().default(true),
  })
  .strict();

export const folderSource = z
  .object({
    kind: z.literal("folder"),
    /** Absolute path of a folder on the worker's machine. */
    path: z.string().min(1).refine((p) => p.startsWith("/"), "must be an absolute path"),
    recursive: z.boolean().default(true),
    /** Recorded as the images' source (SEED for the demo photos). */
    origin: z.enum(["FOLDER", "SEED"]).default("FOLDER"),
  })
  .strict();

export const s3Source = z
  .object({
    kind: z.literal("s3"),
    /** Bucket to read from; credentials and endpoint come from the S3_* settings. Omitted: the product's bucket. */
    bucket: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/, "is not a valid bucket name")
      .optional(),
    prefix: z.string().default(""),
  })
  .strict();

export const ingestParams = z
  .object({
    source: z.discriminatedUnion("kind", [uploadSource, folderSource, s3Source]),
    /** Larger images are rejected (decompression bombs). */
    maxPixels: z.int().min(1).max(1_000_000_000).default(DEFAULT_MAX_PIXELS),
    /** Files larger than this are rejected without being read. */
    maxFileBytes: z.int().min(1).default(256 * 1024 * 1024),
    /** Only files with these extensions (case-insensitive, without the dot); default: every file. */
    extensions: z.array(z.string().regex(/^[A-Za-z0-9]+$/, "must be an extension without the dot")).min(1).optional(),
  })
  .strict();

export type IngestParams = z.infer<typeof ingestParams>;
export type IngestSourceParams = IngestParams["source"];
