"use client";
// Starting an export: formats (SA-1B JSON, COCO), COCO polygons, PNG masks, and which masks (status,
// stage, label, model, creation dates).
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/client/trpc.tsx";
import styles from "./exports.module.css";

type Status = "ACCEPTED" | "PROPOSED" | "REJECTED";

function toggle<T>(list: T[], value: T, on: boolean): T[] {
  return on ? (list.includes(value) ? list : [...list, value]) : list.filter((v) => v !== value);
}

/** A date input's "YYYY-MM-DD" as the start of that day in the browser's time zone, as ISO 8601. */
function dayStart(value: string, plusDays = 0): string | undefined {
  if (!value) return undefined;
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y!, m! - 1, d! + plusDays).toISOString();
}

export function StartExportForm({
  projectId, labels, models, onStarted,
}: {
  projectId: string; labels: { id: string; name: string; color: string }[]; models: { id: string; name: string }[]; onStarted: () => void;
}) {
  const trpc = useTRPC();
  const start = useMutation(trpc.exports.start.mutationOptions());
  const [name, setName] = useState("");
  const [formats, setFormats] = useState<("sa1b" | "coco")[]>(["sa1b", "coco"]);
  const [polygons, setPolygons] = useState(false);
  const [pngMasks, setPngMasks] = useState(false);
  const [includeImages, setIncludeImages] = useState(false);
  const [layout, setLayout] = useState<"archive" | "folder">("archive");
  const [statuses, setStatuses] = useState<Status[]>(["ACCEPTED"]);
  const [stages, setStages] = useState<(1 | 2 | 3)[]>([]);
  const [labelIds, setLabelIds] = useState<string[]>([]);
  const [modelVersionId, setModelVersionId] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const submit = async () => {
    setMessage(null);
    const exportName = name.trim() || `export ${new Date().toISOString().slice(0, 16).replace("T", " ")}`;
    try {
      const { jobId } = await start.mutateAsync({
        projectId, name: exportName, formats, polygons, pngMasks, includeImages, layout, statuses,
        stages: stages.length ? stages : undefined,
        labelClassIds: labelIds.length ? labelIds : undefined,
        modelVersionId: modelVersionId || undefined,
        createdFrom: dayStart(from),
        // "To" is inclusive of that day.
        createdTo: dayStart(to, 1),
      });
      setMessage({ ok: true, text: `Export "${exportName}" queued (job ${jobId})` });
      setName("");
      onStarted();
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    }
  };

  return (
    <form className="panel stack" aria-label="Start an export" onSubmit={(e) => { e.preventDefault(); void submit(); }} data-testid="start-export">
      <h2 style={{ margin: 0 }}>Start an export</h2>
      <div className="row">
        <label>Name<input value={name} onChange={(e) => setName(e.target.value)} placeholder="export name" maxLength={200} /></label>
        <fieldset className={styles.group}>
          <legend>Formats</legend>
          <label className={styles.check}><input type="checkbox" checked={formats.includes("sa1b")} onChange={(e) => setFormats(toggle(formats, "sa1b", e.target.checked))} />SA-1B JSON</label>
          <label className={styles.check}><input type="checkbox" checked={formats.includes("coco")} onChange={(e) => setFormats(toggle(formats, "coco", e.target.checked))} />COCO</label>
          <label className={styles.check}><input type="checkbox" checked={polygons} onChange={(e) => setPolygons(e.target.checked)} />COCO polygons</label>
          <label className={styles.check}><input type="checkbox" checked={pngMasks} onChange={(e) => setPngMasks(e.target.checked)} />PNG masks</label>
          <label className={styles.check}><input type="checkbox" checked={includeImages} onChange={(e) => setIncludeImages(e.target.checked)} />images</label>
        </fieldset>
        <label>
          Layout
          <select value={layout} onChange={(e) => setLayout(e.target.value === "folder" ? "folder" : "archive")}>
            <option value="archive">one .tar.gz</option>
            <option value="folder">folder in storage</option>
          </select>
        </label>
      </div>
      <div className="row">
        <fieldset className={styles.group}>
          <legend>Mask status</legend>
          {(["ACCEPTED", "PROPOSED", "REJECTED"] as const).map((s) => (
            <label className={styles.check} key={s}><input type="checkbox" checked={statuses.includes(s)} onChange={(e) => setStatuses(toggle(statuses, s, e.target.checked))} />{s.toLowerCase()}</label>
          ))}
        </fieldset>
        <fieldset className={styles.group}>
          <legend>Stages (none: all)</legend>
          {([1, 2, 3] as const).map((s) => (
            <label className={styles.check} key={s}><input type="checkbox" checked={stages.includes(s)} onChange={(e) => setStages(toggle(stages, s, e.target.checked))} />{s}</label>
          ))}
        </fieldset>
        {labels.length > 0 && (
          <fieldset className={styles.group}>
            <legend>Labels (none: all)</legend>
            {labels.map((l) => (
              <label className={styles.check} key={l.id}>
                <input type="checkbox" checked={labelIds.includes(l.id)} onChange={(e) => setLabelIds(toggle(labelIds, l.id, e.target.checked))} />
                <span className="swatch" style={{ background: l.color }} />{l.name}
              </label>
            ))}
          </fieldset>
        )}
      </div>
      <div className="row">
        <label>
          Model
          <select value={modelVersionId} onChange={(e) => setModelVersionId(e.target.value)}>
            <option value="">any</option>
            {models.map((m) => <option key={m.id} value={m.id}>{m.name}</option>)}
          </select>
        </label>
        <label>Created from<input type="date" value={from} onChange={(e) => setFrom(e.target.value)} /></label>
        <label>Created to<input type="date" value={to} onChange={(e) => setTo(e.target.value)} /></label>
        <button type="submit" disabled={start.isPending || formats.length === 0 || statuses.length === 0}>
          {start.isPending ? "Starting…" : "Start export"}
        </button>
      </div>
      {formats.length === 0 && <p className="error">Choose at least one format.</p>}
      {statuses.length === 0 && <p className="error">Choose at least one mask status.</p>}
      {message && <p className={message.ok ? "muted" : "error"} role="alert" data-testid="export-message">{message.text}</p>}
    </form>
  );
}
