import type { ModelInfo } from "./inspect.ts";
import { formatShape } from "./tensor-info.ts";

function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** Multi-line, human-readable summary (what `sam-core inspect` prints). */
export function formatModelInfo(info: ModelInfo): string {
  const lines: string[] = [];
  lines.push(`role: ${info.role} (${info.roleReason})`);
  lines.push(`opset: ${Object.entries(info.opsets).map(([d, v]) => `${d} ${v}`).join(", ")}; IR version ${info.irVersion}`);
  if (info.producer) lines.push(`producer: ${info.producer}`);
  const dtypes = Object.entries(info.parameterDtypes).map(([k, v]) => `${k} ${human(v)}`).join(", ");
  lines.push(`parameters: ${human(info.parameterCount)}${dtypes ? ` (${dtypes})` : ""}; quantized: ${info.quantized ? "yes" : "no"}`);
  if (info.externalDataFiles.length) lines.push(`external data: ${info.externalDataFiles.join(", ")}`);
  lines.push("inputs:");
  for (const t of info.inputs) lines.push(`  ${t.name}: ${t.dtype} ${formatShape(t.shape)}`);
  lines.push("outputs:");
  for (const t of info.outputs) lines.push(`  ${t.name}: ${t.dtype} ${formatShape(t.shape)}`);
  const s = info.sam;
  const geo: string[] = [];
  if (s.embeddingShape) geo.push(`embedding [${s.embeddingShape.join(",")}]`);
  if (s.inputSize) geo.push(`input size ${s.inputSize}`);
  if (s.encoderInputForm) geo.push(`input form ${s.encoderInputForm}`);
  if (s.lowResSize) geo.push(`low-res masks ${s.lowResSize.join("x")}`);
  if (s.numMasks) geo.push(`${s.numMasks} mask(s) per prompt`);
  if (s.extraMetrics) geo.push("extra metrics (stability, areas)");
  if (geo.length) lines.push(`sam: ${geo.join("; ")}`);
  const meta = Object.entries(info.metadata);
  if (meta.length) {
    lines.push("metadata:");
    for (const [k, v] of meta) lines.push(`  ${k}: ${v.length > 200 ? `${v.slice(0, 200)}...` : v}`);
  }
  const ops = Object.entries(info.ops).sort((a, b) => b[1] - a[1]);
  lines.push(`ops (${ops.reduce((a, [, n]) => a + n, 0)} nodes): ${ops.map(([k, n]) => `${k} ${n}`).join(", ")}`);
  return lines.join("\n");
}
