"use client";
// Starting a retraining round: how long, which decoder parameters, the learning rate, the loss, the held-out
// share, and which masks (accepted by default; optionally only some stages).
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/client/trpc.tsx";

export function StartRoundForm({ projectId, onStarted }: { projectId: string; onStarted: () => void }) {
  const trpc = useTRPC();
  const start = useMutation(trpc.training.start.mutationOptions());
  const [steps, setSteps] = useState("200");
  const [trainable, setTrainable] = useState<"all" | "heads">("all");
  const [lr, setLr] = useState("0.0001");
  const [heldOut, setHeldOut] = useState("0.2");
  const [loss, setLoss] = useState<"paper" | "dice">("paper");
  const [stages, setStages] = useState<(1 | 2 | 3)[]>([]);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const submit = async () => {
    setMessage(null);
    try {
      const { jobId } = await start.mutateAsync({
        projectId, steps: Number(steps), trainable, lr: Number(lr), heldOutFraction: Number(heldOut), loss,
        stages: stages.length ? stages : undefined,
      });
      setMessage({ ok: true, text: `Round queued (job ${jobId})` });
      onStarted();
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    }
  };

  return (
    <form className="panel stack" aria-label="Start a retraining round" data-testid="start-round" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
      <h2 style={{ margin: 0 }}>Start a round</h2>
      <p className="muted" style={{ margin: 0 }}>
        Fine-tunes the active model&apos;s mask decoder on the accepted masks (the image encoder stays frozen, its stored
        embeddings are reused), then measures the base and the result on held-out images. The result becomes a candidate;
        promote it only if it wins.
      </p>
      <div className="row">
        <label>Steps<input type="number" min={1} max={100000} value={steps} onChange={(e) => setSteps(e.target.value)} /></label>
        <label>
          Train
          <select value={trainable} onChange={(e) => setTrainable(e.target.value === "heads" ? "heads" : "all")}>
            <option value="all">the whole decoder</option>
            <option value="heads">hypernetwork + IoU heads</option>
          </select>
        </label>
        <label>Learning rate<input type="number" step="any" min={0} value={lr} onChange={(e) => setLr(e.target.value)} /></label>
        <label>
          Loss
          <select value={loss} onChange={(e) => setLoss(e.target.value === "dice" ? "dice" : "paper")}>
            <option value="paper">paper: focal 20 + dice 1 + IoU</option>
            <option value="dice">dice + IoU (weak bases)</option>
          </select>
        </label>
        <label>Held-out share<input type="number" step="0.05" min={0.05} max={0.9} value={heldOut} onChange={(e) => setHeldOut(e.target.value)} /></label>
        <fieldset>
          <legend>Stages (none: all)</legend>
          {([1, 2, 3] as const).map((s) => (
            <label key={s} style={{ display: "inline-flex", flexDirection: "row", alignItems: "center", gap: 4, marginRight: 8 }}>
              <input type="checkbox" checked={stages.includes(s)} onChange={(e) => setStages(e.target.checked ? [...stages, s] : stages.filter((x) => x !== s))} />
              {s}
            </label>
          ))}
        </fieldset>
      </div>
      <div className="row">
        <button type="submit" disabled={start.isPending} data-testid="start-round-submit">Start round</button>
        {message && <span className={message.ok ? "ok" : "error"} role={message.ok ? "status" : "alert"}>{message.text}</span>}
      </div>
    </form>
  );
}
