// Every keyboard shortcut of the annotator, in one table: the key handler and the help overlay read it.

export type Command =
  | "tool-sam" | "tool-brush" | "tool-eraser" | "tool-select"
  | "next-candidate" | "previous-candidate"
  | "undo" | "redo" | "save" | "discard" | "delete-mask" | "fill-holes"
  | "brush-bigger" | "brush-smaller"
  | "zoom-in" | "zoom-out" | "fit"
  | "toggle-others" | "toggle-hover" | "help"
  | "next-image" | "previous-image"
  | { label: number };

export interface Shortcut {
  keys: string;
  description: string;
  command: Command;
  match(e: KeyLike): boolean;
}

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

const mod = (e: KeyLike) => e.ctrlKey || e.metaKey;
const plain = (k: string) => (e: KeyLike) => !mod(e) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === k;

export const SHORTCUTS: Shortcut[] = [
  { keys: "A", description: "SAM tool: click = foreground point, right click or Shift+click = background point, drag = box", command: "tool-sam", match: plain("a") },
  { keys: "B", description: "Brush (adds pixels)", command: "tool-brush", match: plain("b") },
  { keys: "E", description: "Eraser (removes pixels)", command: "tool-eraser", match: plain("e") },
  { keys: "V", description: "Select an existing mask to refine, relabel or delete", command: "tool-select", match: plain("v") },
  { keys: "Tab", description: "Next candidate mask (whole / part / subpart after one click)", command: "next-candidate", match: (e) => e.key === "Tab" && !e.shiftKey },
  { keys: "Shift+Tab", description: "Previous candidate mask", command: "previous-candidate", match: (e) => e.key === "Tab" && e.shiftKey },
  { keys: "Ctrl+Z", description: "Undo", command: "undo", match: (e) => mod(e) && !e.shiftKey && e.key.toLowerCase() === "z" },
  { keys: "Ctrl+Shift+Z / Ctrl+Y", description: "Redo", command: "redo", match: (e) => mod(e) && ((e.shiftKey && e.key.toLowerCase() === "z") || e.key.toLowerCase() === "y") },
  { keys: "Enter", description: "Save the mask", command: "save", match: (e) => e.key === "Enter" && !mod(e) },
  { keys: "Esc", description: "Discard the draft / deselect", command: "discard", match: (e) => e.key === "Escape" },
  { keys: "Delete", description: "Delete the selected mask", command: "delete-mask", match: (e) => e.key === "Delete" || (e.key === "Backspace" && mod(e)) },
  { keys: "F", description: "Fill holes in the mask", command: "fill-holes", match: plain("f") },
  { keys: "]", description: "Bigger brush", command: "brush-bigger", match: (e) => e.key === "]" },
  { keys: "[", description: "Smaller brush", command: "brush-smaller", match: (e) => e.key === "[" },
  { keys: "+ / wheel", description: "Zoom in (at the pointer with the wheel)", command: "zoom-in", match: (e) => e.key === "+" || e.key === "=" },
  { keys: "- / wheel", description: "Zoom out", command: "zoom-out", match: (e) => e.key === "-" || e.key === "_" },
  { keys: "0", description: "Fit the image to the window (pan: Space+drag or middle drag)", command: "fit", match: (e) => e.key === "0" && !mod(e) },
  { keys: "H", description: "Hide / show the other masks", command: "toggle-others", match: plain("h") },
  { keys: "P", description: "Hover preview on / off", command: "toggle-hover", match: plain("p") },
  { keys: "N", description: "Next image", command: "next-image", match: plain("n") },
  { keys: "Shift+N", description: "Previous image", command: "previous-image", match: (e) => !mod(e) && e.shiftKey && e.key.toLowerCase() === "n" },
  { keys: "?", description: "This help", command: "help", match: (e) => e.key === "?" },
  ...Array.from({ length: 9 }, (_, i): Shortcut => ({
    keys: String(i + 1),
    description: i === 0 ? "1-9: pick the label with that number" : "",
    command: { label: i },
    match: (e) => !mod(e) && !e.altKey && e.key === String(i + 1),
  })),
];

/** The command for a key press, or null (the first matching row). */
export function commandFor(e: KeyLike): Command | null {
  for (const s of SHORTCUTS) {
    if (s.match(e)) return s.command;
  }
  return null;
}
