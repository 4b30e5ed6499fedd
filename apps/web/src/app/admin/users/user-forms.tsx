"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/client/trpc.tsx";
import { useAction } from "@/components/use-mutation-refresh.ts";

const ROLES = ["ANNOTATOR", "REVIEWER", "ADMIN"] as const;
type Role = (typeof ROLES)[number];

export function UserActions({ userId, email, role, disabled, isMe }: { userId: string; email: string; role: Role; disabled: boolean; isMe: boolean }) {
  const trpc = useTRPC();
  const action = useAction();
  const setRole = useMutation(trpc.users.setRole.mutationOptions());
  const setDisabled = useMutation(trpc.users.setDisabled.mutationOptions());
  return (
    <>
      <td>
        <select value={role} aria-label={`Role of ${email}`} disabled={action.pending}
          onChange={(e) => void action.run(() => setRole.mutateAsync({ userId, role: e.target.value as Role }))}>
          {ROLES.map((r) => <option key={r} value={r}>{r.toLowerCase()}</option>)}
        </select>
        {action.error && <div className="error" role="alert">{action.error}</div>}
      </td>
      <td>{disabled ? <span className="badge FAILED">disabled</span> : <span className="badge SUCCEEDED">active</span>}</td>
      <td>
        {!isMe && (
          <button type="button" className={disabled ? "secondary" : "danger"} disabled={action.pending}
            onClick={() => void action.run(() => setDisabled.mutateAsync({ userId, disabled: !disabled }))}>
            {disabled ? "Enable" : "Disable"}
          </button>
        )}
      </td>
    </>
  );
}

export function CreateUserForm() {
  const trpc = useTRPC();
  const action = useAction();
  const create = useMutation(trpc.users.create.mutationOptions());
  const [form, setForm] = useState({ email: "", name: "", password: "", role: "ANNOTATOR" as Role });
  function submit(e: FormEvent) {
    e.preventDefault();
    void action.run(async () => {
      await create.mutateAsync({ ...form, name: form.name || undefined });
      setForm({ email: "", name: "", password: "", role: "ANNOTATOR" });
    });
  }
  return (
    <form className="panel row" onSubmit={submit}>
      <label>Email<input type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} required /></label>
      <label>Name<input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} /></label>
      <label>Password<input type="password" value={form.password} minLength={8} autoComplete="new-password" onChange={(e) => setForm({ ...form, password: e.target.value })} required /></label>
      <label>Role
        <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
          {ROLES.map((r) => <option key={r} value={r}>{r.toLowerCase()}</option>)}
        </select>
      </label>
      <button type="submit" disabled={action.pending}>Create user</button>
      {action.error && <p className="error" role="alert">{action.error}</p>}
    </form>
  );
}
