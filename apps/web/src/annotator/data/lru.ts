// Which cached embeddings to keep: least recently used first out, by count (each is a few MB).

export interface LruEntry {
  key: string;
  usedAt: number;
}

/** Marks `key` used at `now`; returns the new index and the keys to evict to stay within `capacity`. */
export function touch(index: readonly LruEntry[], key: string, now: number, capacity: number): { index: LruEntry[]; evict: string[] } {
  if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${capacity}`);
  const rest = index.filter((e) => e.key !== key);
  const all = [...rest, { key, usedAt: now }].sort((a, b) => b.usedAt - a.usedAt);
  return { index: all.slice(0, capacity), evict: all.slice(capacity).map((e) => e.key) };
}

export function parseIndex(text: string | null): LruEntry[] {
  if (!text) return [];
  try {
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v)) return [];
    return v.filter((e): e is LruEntry => typeof e === "object" && e !== null && typeof e.key === "string" && typeof e.usedAt === "number");
  } catch {
    return [];
  }
}
