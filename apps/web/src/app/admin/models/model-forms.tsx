"use client";
// Adding models: a public SAM export pair uploaded from this browser (with progress) or read from paths on
// the server, and a demo model built with seeded weights. The server checks every file with sam-core's
// inspect and says what is wrong with a file that is not the expected part.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/client/trpc.tsx";
import { useAction } from "@/components/use-mutation-refresh.ts";
import { uploadModelFile } from "./upload-file.ts";

type ProjectOption = { id: string; name: string };
type Role = "encoder" | "decoder";

function ProjectSelect({ projects, value, onChange }: { projects: ProjectOption[]; value: string; onChange(v: string): void }) {
  return (
    <label>
      For{" "}
      <select value={value} onChange={(e) => onChange(e.target.value)} aria-label="Available to">
        <option value="">every project</option>
        {projects.map((p) => <option key={p.id} value={p.id}>{p.name} only</option>)}
      </select>
    </label>
  );
}

export function ImportModelForm({ projects }: { projects: ProjectOption[] }) {
  const trpc = useTRPC();
  const action = useAction();
  const importModel = useMutation(trpc.models.import.mutationOptions());
  const [from, setFrom] = useState<"upload" | "server">("upload");
  const [name, setName] = useState("");
  const [projectId, setProjectId] = useState("");
  const [files, setFiles] = useState<Record<Role, File | null>>({ encoder: null, decoder: null });
  const [paths, setPaths] = useState({ encoderPath: "", decoderPath: "" });
  const [progress, setProgress] = useState<Record<Role, number | null>>({ encoder: null, decoder: null });
  const [checked, setChecked] = useState<Record<Role, string | null>>({ encoder: null, decoder: null });
  const [done, setDone] = useState<string | null>(null);

  const ready = name.trim() !== "" && (from === "upload" ? files.encoder && files.decoder : paths.encoderPath && paths.decoderPath);

  async function submit() {
    setDone(null);
    const model = await action.run(async () => {
      let source: Parameters<typeof importModel.mutateAsync>[0]["files"];
      if (from === "upload") {
        const up = async (role: Role) => {
          const r = await uploadModelFile(files[role]!, role, (f) => setProgress((p) => ({ ...p, [role]: f })));
          setChecked((c) => ({ ...c, [role]: r.description }));
          return r.uploadId;
        };
        // One after the other: on a slow link the first file's check fails fast instead of after both.
        const encoderUploadId = await up("encoder");
        const decoderUploadId = await up("decoder");
        source = { from: "upload", encoderUploadId, decoderUploadId };
      } else {
        source = { from: "server", ...paths };
      }
      return importModel.mutateAsync({ name: name.trim(), projectId: projectId || null, files: source });
    });
    if (model) {
      setDone(`Imported "${model.name}". Activate it for a project below.`);
      setName("");
      setFiles({ encoder: null, decoder: null });
      setProgress({ encoder: null, decoder: null });
    }
  }

  return (
    <form className="panel stack" data-testid="import-model" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
      <h2>Import a SAM export pair</h2>
      <p className="muted">An encoder and a decoder .onnx as exported from Segment Anything (for example sam_vit_b_encoder.onnx and sam_vit_b_decoder.onnx). Weights in external-data files: import from the server, with them next to the .onnx.</p>
      <div className="row">
        <label><input type="radio" checked={from === "upload"} onChange={() => setFrom("upload")} /> Upload from this computer</label>
        <label><input type="radio" checked={from === "server"} onChange={() => setFrom("server")} /> Files on the server</label>
      </div>
      <label>Name <input value={name} onChange={(e) => setName(e.target.value)} placeholder="sam vit_b" aria-label="Model name" /></label>
      {from === "upload" ? (
        (["encoder", "decoder"] as const).map((role) => (
          <div className="row" key={role}>
            <label>
              {role === "encoder" ? "Encoder" : "Decoder"}{" "}
              <input type="file" accept=".onnx" aria-label={`${role} file`} onChange={(e) => {
                setFiles((f) => ({ ...f, [role]: e.target.files?.[0] ?? null }));
                setProgress((p) => ({ ...p, [role]: null }));
                setChecked((c) => ({ ...c, [role]: null }));
              }} />
            </label>
            {progress[role] !== null && (
              <span className="row" data-testid={`upload-progress-${role}`}>
                <span className="progress"><div style={{ width: `${Math.round(100 * progress[role]!)}%` }} /></span>
                {Math.round(100 * progress[role]!)}%
              </span>
            )}
            {checked[role] && <span className="muted">{checked[role]}</span>}
          </div>
        ))
      ) : (
        <>
          <label>Encoder path <input value={paths.encoderPath} onChange={(e) => setPaths({ ...paths, encoderPath: e.target.value })} placeholder="/models/sam_vit_b_encoder.onnx" aria-label="Encoder path" /></label>
          <label>Decoder path <input value={paths.decoderPath} onChange={(e) => setPaths({ ...paths, decoderPath: e.target.value })} placeholder="/models/sam_vit_b_decoder.onnx" aria-label="Decoder path" /></label>
        </>
      )}
      <div className="row">
        <ProjectSelect projects={projects} value={projectId} onChange={setProjectId} />
        <button type="submit" disabled={!ready || action.pending}>{action.pending ? "Importing…" : "Import"}</button>
      </div>
      {action.error && <p className="error" role="alert">{action.error}</p>}
      {done && <p role="status">{done}</p>}
    </form>
  );
}

export function BuildDemoModelForm({ projects }: { projects: ProjectOption[] }) {
  const trpc = useTRPC();
  const action = useAction();
  const build = useMutation(trpc.models.buildDemo.mutationOptions());
  const [config, setConfig] = useState<"tiny" | "vit_b">("tiny");
  const [projectId, setProjectId] = useState("");
  const [done, setDone] = useState<string | null>(null);
  return (
    <form className="panel stack" data-testid="build-model" onSubmit={(e) => {
      e.preventDefault();
      setDone(null);
      void action.run(() => build.mutateAsync({ config, projectId: projectId || null })).then((m) => m && setDone(`Built "${m.name}".`));
    }}>
      <h2>Build a demo model</h2>
      <p className="muted">SAM's architecture with seeded random weights: the whole pipeline runs, the masks mean nothing. For trying the product before a real model is imported.</p>
      <div className="row">
        <label>Size <select value={config} onChange={(e) => setConfig(e.target.value as "tiny" | "vit_b")} aria-label="Architecture">
          <option value="tiny">tiny (fast on a CPU)</option>
          <option value="vit_b">vit_b (real size, slow to embed)</option>
        </select></label>
        <ProjectSelect projects={projects} value={projectId} onChange={setProjectId} />
        <button type="submit" disabled={action.pending}>{action.pending ? "Building…" : "Build"}</button>
      </div>
      {action.error && <p className="error" role="alert">{action.error}</p>}
      {done && <p role="status">{done}</p>}
    </form>
  );
}
