"use client";
import { SHORTCUTS } from "../state/shortcuts.ts";
import styles from "./annotator.module.css";

export function HelpOverlay({ onClose }: { onClose(): void }) {
  return (
    <div className={styles.overlay} role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onClick={onClose}>
      <div className={styles.help} onClick={(e) => e.stopPropagation()}>
        <div className="row" style={{ justifyContent: "space-between" }}>
          <h2 style={{ margin: 0 }}>Keyboard shortcuts</h2>
          <button type="button" className="secondary" onClick={onClose}>Close</button>
        </div>
        <table data-testid="shortcuts">
          <tbody>
            {SHORTCUTS.filter((s) => s.description).map((s) => (
              <tr key={s.keys}>
                <td><kbd>{s.keys}</kbd></td>
                <td>{s.description}</td>
              </tr>
            ))}
            <tr><td><kbd>Right click</kbd></td><td>Background point (also Shift+click or Alt+click)</td></tr>
            <tr><td><kbd>Drag</kbd></td><td>Box prompt (SAM tool)</td></tr>
          </tbody>
        </table>
      </div>
    </div>
  );
}
