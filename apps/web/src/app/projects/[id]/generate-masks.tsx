"use client";
// "Generate masks" for admins: queues automatic mask generation over the project with its active model.
// Thresholds, grid and dedup come from the project's settings; the worker refuses bad ones with a message.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/client/trpc.tsx";

export function GenerateMasks({ projectId, hasModel }: { projectId: string; hasModel: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const start = useMutation(trpc.generate.start.mutationOptions());
  const [mode, setMode] = useState<"review" | "auto">("review");
  const [preset, setPreset] = useState<"" | "default" | "sa1b">("");
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const submit = async () => {
    setMessage(null);
    try {
      const { jobId } = await start.mutateAsync({ projectId, mode, preset: preset || undefined });
      setMessage({ ok: true, text: `Mask generation queued (job ${jobId}); masks appear as the job goes through the images` });
      router.refresh();
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    }
  };

  return (
    <form className="panel row" aria-label="Generate masks" data-testid="generate-masks" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
      <label>
        Mode{" "}
        <select value={mode} onChange={(e) => setMode(e.target.value as "review" | "auto")}>
          <option value="review">propose for review (stage 2)</option>
          <option value="auto">auto-accept confident masks (stage 3)</option>
        </select>
      </label>
      <label>
        Preset{" "}
        <select value={preset} onChange={(e) => setPreset(e.target.value as "" | "default" | "sa1b")}>
          <option value="">project setting</option>
          <option value="default">default (32×32 grid)</option>
          <option value="sa1b">SA-1B (grid + 2 crop layers)</option>
        </select>
      </label>
      <button type="submit" disabled={start.isPending || !hasModel} title={hasModel ? undefined : "Activate a model first"}>
        {start.isPending ? "Starting…" : "Generate masks"}
      </button>
      {message && <p className={message.ok ? "muted" : "error"} role="alert" data-testid="generate-message">{message.text}</p>}
    </form>
  );
}
