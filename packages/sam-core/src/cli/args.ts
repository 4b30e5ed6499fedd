import { UsageError } from "./errors.ts";

export function parsePointsArg(text: string): { points: [number, number][]; labels: number[] } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new UsageError(`--points must be JSON like '[[x,y,label],...]', got ${JSON.stringify(text)}`);
  }
  if (!Array.isArray(v) || v.some((p) => !Array.isArray(p) || p.length !== 3 || p.some((x: unknown) => typeof x !== "number"))) {
    throw new UsageError("--points must be a JSON array of [x, y, label] number triples");
  }
  const triples = v as [number, number, number][];
  return { points: triples.map(([x, y]) => [x, y]), labels: triples.map((t) => t[2]) };
}

export function parseBoxArg(text: string): [number, number, number, number] {
  const parts = text.split(",").map((s) => Number(s.trim()));
  if (parts.length !== 4 || parts.some((x) => !Number.isFinite(x))) throw new UsageError(`--box must be x0,y0,x1,y1 (four numbers), got "${text}"`);
  return parts as [number, number, number, number];
}

export function parseIntArg(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new UsageError(`${name} must be an integer, got "${text}"`);
  return n;
}
