// Single-key review commands. Kept apart from the page so the key map is one table, shown as is in
// the help overlay and tested on its own.

export type ReviewCommand =
  | { kind: "accept" }
  | { kind: "reject" }
  | { kind: "fix" }
  | { kind: "relabel"; slot: number }
  | { kind: "next" }
  | { kind: "previous" }
  | { kind: "help" }
  | { kind: "close" };

export const KEY_HELP: readonly [keys: string, what: string][] = [
  ["A", "accept the mask"],
  ["R", "reject the mask"],
  ["F", "fix: open the mask in the annotator"],
  ["1 – 9", "relabel with that label (and accept)"],
  ["J / → / ↓", "next mask"],
  ["K / ← / ↑", "previous mask"],
  ["?", "show or hide this help"],
  ["Esc", "close this help"],
];

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/** The command for a key press, or null when the key means nothing here (or carries a modifier). */
export function commandForKey(e: KeyLike): ReviewCommand | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  switch (key) {
    case "a": return { kind: "accept" };
    case "r": return { kind: "reject" };
    case "f": return { kind: "fix" };
    case "j": case "ArrowRight": case "ArrowDown": return { kind: "next" };
    case "k": case "ArrowLeft": case "ArrowUp": return { kind: "previous" };
    case "?": return { kind: "help" };
    case "Escape": return { kind: "close" };
  }
  if (/^[1-9]$/.test(key)) return { kind: "relabel", slot: Number(key) };
  return null;
}

/** Key presses inside form fields belong to the field. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as { tagName?: unknown }).tagName !== "string") return false;
  const el = target as unknown as { tagName: string; isContentEditable?: boolean; type?: string };
  if (el.isContentEditable) return true;
  if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  return el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit", "range"].includes(el.type ?? "text");
}
