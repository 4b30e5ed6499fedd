"use client";
import { KEY_HELP } from "./keys.ts";
import styles from "./review.module.css";

export function HelpOverlay({ labels, onClose }: { labels: { name: string; color: string }[]; onClose: () => void }) {
  return (
    <div className={styles.overlay} role="dialog" aria-modal="true" aria-label="Review keys" onClick={onClose} data-testid="review-help">
      <div className={styles.overlayBox} onClick={(e) => e.stopPropagation()}>
        <h2>Review keys</h2>
        <table>
          <tbody>
            {KEY_HELP.map(([k, what]) => <tr key={k}><td><kbd>{k}</kbd></td><td>{what}</td></tr>)}
          </tbody>
        </table>
        {labels.length > 0 && (
          <>
            <h2>Labels</h2>
            <ol className={styles.labelList}>
              {labels.slice(0, 9).map((l) => <li key={l.name}><span className="swatch" style={{ background: l.color }} />{l.name}</li>)}
            </ol>
          </>
        )}
        <button type="button" onClick={onClose}>Close (Esc)</button>
      </div>
    </div>
  );
}
