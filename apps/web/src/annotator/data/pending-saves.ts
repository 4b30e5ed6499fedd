// Masks that could not be saved because the session expired (or the network failed) are kept in
// localStorage, per user and image, and submitted again once the annotator is signed in.

export interface PendingSave {
  /** Distinguishes entries; also makes re-submission idempotent on the page. */
  key: string;
  userId: string;
  projectId: string;
  imageId: string;
  savedAt: number;
  /** masks.create or masks.update input, exactly as it would have been sent. */
  kind: "create" | "update";
  input: Record<string, unknown>;
}

const PREFIX = "annotator:pending:";

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  readonly length: number;
  key(index: number): string | null;
}

export function keepPending(store: KeyValueStore, entry: PendingSave): void {
  store.setItem(PREFIX + entry.key, JSON.stringify(entry));
}

export function dropPending(store: KeyValueStore, key: string): void {
  store.removeItem(PREFIX + key);
}

/** The entries for this user and image, oldest first. */
export function listPending(store: KeyValueStore, userId: string, imageId: string): PendingSave[] {
  const out: PendingSave[] = [];
  for (let i = 0; i < store.length; i++) {
    const k = store.key(i);
    if (!k?.startsWith(PREFIX)) continue;
    try {
      const v = JSON.parse(store.getItem(k) ?? "") as PendingSave;
      if (v.userId === userId && v.imageId === imageId) out.push(v);
    } catch {
      // A damaged entry is not ours to guess at; leave it.
    }
  }
  return out.sort((a, b) => a.savedAt - b.savedAt);
}
