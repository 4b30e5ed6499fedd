import { requireAdmin } from "@/server/page-session.ts";
import { ActivateModel } from "./activate-model.tsx";
import { CompareModels } from "./compare-models.tsx";
import { BuildDemoModelForm, ImportModelForm } from "./model-forms.tsx";

export default async function ModelsPage() {
  const { caller } = await requireAdmin("/admin/models");
  const [models, projects] = await Promise.all([caller.models.list({}), caller.projects.list({ includeArchived: false })]);
  return (
    <>
      <h1>Models</h1>
      {models.length === 0 ? (
        <p className="muted">No models yet: import a SAM export pair or build a demo model below.</p>
      ) : (
        <table data-testid="models">
          <thead><tr><th>Name</th><th>Architecture</th><th>Source</th><th>Round</th><th>Status</th><th>Active in</th><th>Activate for</th></tr></thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.id}>
                <td>{m.name}</td><td>{m.architecture}</td><td>{m.source.toLowerCase()}</td><td>{m.trainingRound}</td>
                <td><span className={`badge ${m.status}`}>{m.status.toLowerCase()}</span></td>
                <td>{m.activeIn.map((p) => p.name).join(", ") || "—"}</td>
                <td>
                  <ActivateModel
                    modelVersionId={m.id}
                    projects={projects
                      .filter((p) => (m.projectId === null || p.id === m.projectId) && !m.activeIn.some((a) => a.id === p.id))
                      .map((p) => ({ id: p.id, name: p.name }))}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {models.length >= 2 && <CompareModels models={models.map((m) => ({ id: m.id, name: m.name, trainingRound: m.trainingRound, metrics: m.metrics }))} />}
      <ImportModelForm projects={projects.map((p) => ({ id: p.id, name: p.name }))} />
      <BuildDemoModelForm projects={projects.map((p) => ({ id: p.id, name: p.name }))} />
    </>
  );
}
