"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/client/trpc.tsx";
import { useAction } from "@/components/use-mutation-refresh.ts";

export function ActivateModel({ modelVersionId, projects }: { modelVersionId: string; projects: { id: string; name: string }[] }) {
  const trpc = useTRPC();
  const action = useAction();
  const activate = useMutation(trpc.models.activate.mutationOptions());
  const [projectId, setProjectId] = useState("");
  if (projects.length === 0) return <span className="muted">—</span>;
  return (
    <div className="row">
      <select value={projectId} onChange={(e) => setProjectId(e.target.value)} aria-label="Project">
        <option value="" disabled>Project…</option>
        {projects.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
      </select>
      <button type="button" disabled={!projectId || action.pending} onClick={() => void action.run(() => activate.mutateAsync({ projectId, modelVersionId }))}>Activate</button>
      {action.error && <span className="error" role="alert">{action.error}</span>}
    </div>
  );
}
