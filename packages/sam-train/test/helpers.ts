import { createNodeBackend, type RtSession } from "@data-engine/sam-core/node";
import { Rng } from "@data-engine/sam-core";

export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal() * scale);
}

export async function ortSession(model: Uint8Array): Promise<RtSession> {
  return createNodeBackend().createSession(model, { threads: 1 });
}

export async function ortRun(
  s: RtSession,
  feeds: Record<string, { data: Float32Array; dims: number[] }>,
): Promise<Record<string, Float32Array>> {
  const be = createNodeBackend();
  const inputs = Object.fromEntries(
    Object.entries(feeds).map(([k, v]) => [k, be.tensor("float32", v.data, v.dims)]),
  );
  const out = await s.run(inputs);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
