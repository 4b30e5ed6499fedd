import type { DecoderConfig, EncoderConfig } from "./config.ts";

export const BUILDER_NAME = "@data-engine/sam-core/builder";
export const BUILDER_VERSION = "1";

export type SamRole = "encoder" | "decoder" | "decoder-throughput";

/** Metadata keys written into every built model (official exports have none; readers must cope). */
export const META = {
  role: "sam.role",
  config: "sam.config",
  builder: "sam.builder",
  layout: "sam.layout",
} as const;

export function samMetadata(
  role: SamRole,
  config: EncoderConfig | DecoderConfig,
  layout: string,
  extra: Record<string, unknown> = {},
): Record<string, string> {
  return {
    [META.role]: role,
    [META.config]: JSON.stringify({ ...config, ...extra }),
    [META.builder]: `${BUILDER_NAME}@${BUILDER_VERSION}`,
    [META.layout]: layout,
  };
}
