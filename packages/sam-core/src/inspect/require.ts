import { ModelRoleError } from "./errors.ts";
import type { ModelInfo } from "./inspect.ts";
import { DECODER_INPUTS, ENCODER_INPUT, ENCODER_OUTPUT } from "./roles.ts";
import type { ModelRole } from "./roles.ts";

const DESCRIBE: Record<ModelRole, string> = {
  encoder: `a SAM image encoder (${ENCODER_INPUT} -> ${ENCODER_OUTPUT})`,
  decoder: `a SAM decoder (inputs ${DECODER_INPUTS.join(", ")})`,
  "decoder-throughput": "a SAM batched throughput decoder (not the public single-image decoder contract)",
  unknown: "not a SAM model",
};

/** Throws a ModelRoleError naming what the model is (or lacks) when it is not the wanted role. */
export function requireRole(info: ModelInfo, wanted: ModelRole, label = "this file"): void {
  if (info.role === wanted) return;
  const want = `expected ${DESCRIBE[wanted]}`;
  if (info.role !== "unknown") throw new ModelRoleError(`${want} but ${label} looks like ${DESCRIBE[info.role]}`);
  const names = info.inputs.map((i) => i.name);
  const needed = wanted === "encoder" ? [ENCODER_INPUT] : wanted === "decoder" ? [...DECODER_INPUTS] : [...DECODER_INPUTS.slice(0, 3)];
  const missing = needed.filter((n) => !names.includes(n));
  const outs = info.outputs.map((o) => o.name);
  const missingOut = wanted === "encoder" && !outs.includes(ENCODER_OUTPUT) ? `; missing output ${ENCODER_OUTPUT}` : "";
  throw new ModelRoleError(
    `${want} but ${label} is missing inputs: ${missing.join(", ") || "(none)"}${missingOut} (it has inputs: ${names.join(", ") || "none"}; outputs: ${outs.join(", ") || "none"})`,
  );
}
