"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/client/trpc.tsx";

export function CreateProjectForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation(trpc.projects.create.mutationOptions({ onSuccess: (p) => router.push(`/projects/${p.id}`) }));
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ name, description: description || undefined });
  }
  return (
    <form className="panel row" onSubmit={submit}>
      <label>Name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} /></label>
      <label>Description<input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} /></label>
      <button type="submit" disabled={create.isPending}>Create project</button>
      {create.error && <p className="error" role="alert">{create.error.message}</p>}
    </form>
  );
}
