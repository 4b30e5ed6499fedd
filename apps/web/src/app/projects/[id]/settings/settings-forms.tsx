"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/client/trpc.tsx";
import { useAction } from "@/components/use-mutation-refresh.ts";

const ROLES = ["ANNOTATOR", "REVIEWER", "ADMIN"] as const;
type Role = (typeof ROLES)[number];
const RANK: Record<Role, number> = { ANNOTATOR: 1, REVIEWER: 2, ADMIN: 3 };

function ErrorLine({ error }: { error: string | null }) {
  return error ? <p className="error" role="alert">{error}</p> : null;
}

export function ProjectDetailsForm({ projectId, name: initialName, description: initialDescription, archived }: { projectId: string; name: string; description: string; archived: boolean }) {
  const trpc = useTRPC();
  const action = useAction();
  const update = useMutation(trpc.projects.update.mutationOptions());
  const archive = useMutation(trpc.projects.archive.mutationOptions());
  const [name, setName] = useState(initialName);
  const [description, setDescription] = useState(initialDescription);
  function submit(e: FormEvent) {
    e.preventDefault();
    void action.run(() => update.mutateAsync({ projectId, name, description: description || null }));
  }
  return (
    <form className="panel row" onSubmit={submit}>
      <label>Name<input value={name} onChange={(e) => setName(e.target.value)} required /></label>
      <label style={{ flex: 1 }}>Description<input value={description} onChange={(e) => setDescription(e.target.value)} /></label>
      <button type="submit" disabled={action.pending}>Save</button>
      <button type="button" className="danger" disabled={action.pending} onClick={() => void action.run(() => archive.mutateAsync({ projectId, archived: !archived }))}>
        {archived ? "Restore project" : "Archive project"}
      </button>
      <ErrorLine error={action.error} />
    </form>
  );
}

export function ModelPicker({ projectId, activeId, models }: { projectId: string; activeId: string | null; models: { id: string; name: string; architecture: string; status: string }[] }) {
  const trpc = useTRPC();
  const action = useAction();
  const activate = useMutation(trpc.models.activate.mutationOptions());
  const [choice, setChoice] = useState(activeId ?? "");
  if (models.length === 0) return <p className="muted">No models registered yet (the worker builds or imports them).</p>;
  return (
    <div className="panel row">
      <select value={choice} onChange={(e) => setChoice(e.target.value)} aria-label="Model">
        <option value="" disabled>Choose a model</option>
        {models.map((m) => <option key={m.id} value={m.id}>{m.name} ({m.architecture}, {m.status.toLowerCase()})</option>)}
      </select>
      <button type="button" disabled={!choice || choice === activeId || action.pending} onClick={() => void action.run(() => activate.mutateAsync({ projectId, modelVersionId: choice }))}>
        Activate
      </button>
      <ErrorLine error={action.error} />
    </div>
  );
}

export function LabelsEditor({ projectId, labels }: { projectId: string; labels: { id: string; name: string; color: string; archived: boolean }[] }) {
  const trpc = useTRPC();
  const action = useAction();
  const create = useMutation(trpc.projects.labels.create.mutationOptions());
  const update = useMutation(trpc.projects.labels.update.mutationOptions());
  const archive = useMutation(trpc.projects.labels.archive.mutationOptions());
  const [name, setName] = useState("");
  const [color, setColor] = useState("#1f77b4");
  function submit(e: FormEvent) {
    e.preventDefault();
    void action.run(async () => {
      await create.mutateAsync({ projectId, name, color });
      setName("");
    });
  }
  return (
    <div className="panel stack">
      <table>
        <thead><tr><th>Label</th><th>Colour</th><th>State</th><th /></tr></thead>
        <tbody>
          {labels.map((l) => (
            <tr key={l.id}>
              <td><span className="swatch" style={{ background: l.color }} />{l.name}</td>
              <td>
                <input type="color" defaultValue={l.color} aria-label={`Colour of ${l.name}`}
                  onBlur={(e) => e.target.value !== l.color && void action.run(() => update.mutateAsync({ projectId, labelClassId: l.id, color: e.target.value }))} />
              </td>
              <td>{l.archived ? "archived" : "in use"}</td>
              <td>
                <button type="button" className="secondary" onClick={() => void action.run(() => archive.mutateAsync({ projectId, labelClassId: l.id, archived: !l.archived }))}>
                  {l.archived ? "Restore" : "Archive"}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="row" onSubmit={submit}>
        <label>New label<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} /></label>
        <label>Colour<input type="color" value={color} onChange={(e) => setColor(e.target.value)} /></label>
        <button type="submit" disabled={action.pending}>Add label</button>
      </form>
      <ErrorLine error={action.error} />
    </div>
  );
}

export function MembersEditor({ projectId, members, users }: {
  projectId: string;
  members: { id: string; email: string; role: Role; globalRole: Role }[];
  users: { id: string; email: string; role: Role }[];
}) {
  const trpc = useTRPC();
  const action = useAction();
  const add = useMutation(trpc.projects.members.add.mutationOptions());
  const setRole = useMutation(trpc.projects.members.setRole.mutationOptions());
  const remove = useMutation(trpc.projects.members.remove.mutationOptions());
  const candidates = users.filter((u) => !members.some((m) => m.id === u.id));
  const [userId, setUserId] = useState("");
  const [role, setNewRole] = useState<Role>("ANNOTATOR");
  function submit(e: FormEvent) {
    e.preventDefault();
    void action.run(() => add.mutateAsync({ projectId, userId, role }));
  }
  return (
    <div className="panel stack">
      <table data-testid="members">
        <thead><tr><th>User</th><th>Global role</th><th>Project role</th><th /></tr></thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.id}>
              <td>{m.email}</td>
              <td>{m.globalRole.toLowerCase()}</td>
              <td>
                <select value={m.role} aria-label={`Project role of ${m.email}`} onChange={(e) => void action.run(() => setRole.mutateAsync({ projectId, userId: m.id, role: e.target.value as Role }))}>
                  {ROLES.filter((r) => RANK[r] <= RANK[m.globalRole]).map((r) => <option key={r} value={r}>{r.toLowerCase()}</option>)}
                </select>
              </td>
              <td><button type="button" className="danger" onClick={() => void action.run(() => remove.mutateAsync({ projectId, userId: m.id }))}>Remove</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      {candidates.length > 0 && (
        <form className="row" onSubmit={submit}>
          <select value={userId} onChange={(e) => setUserId(e.target.value)} aria-label="User to add" required>
            <option value="" disabled>Add a user…</option>
            {candidates.map((u) => <option key={u.id} value={u.id}>{u.email} ({u.role.toLowerCase()})</option>)}
          </select>
          <select value={role} onChange={(e) => setNewRole(e.target.value as Role)} aria-label="Role in the project">
            {ROLES.map((r) => <option key={r} value={r}>{r.toLowerCase()}</option>)}
          </select>
          <button type="submit" disabled={!userId || action.pending}>Add member</button>
        </form>
      )}
      <ErrorLine error={action.error} />
    </div>
  );
}
