import { load, requireSession } from "@/server/page-session.ts";
import { ProjectTabs } from "../project-tabs.tsx";
import { ExportsPanel } from "./exports-panel.tsx";

type Params = { params: Promise<{ id: string }> };

export default async function ExportsPage({ params }: Params) {
  const { id } = await params;
  const { caller } = await requireSession(`/projects/${id}/exports`);
  const project = await load(caller.projects.get({ projectId: id }));
  // Reviewers see and download exports (the list answers 403 to annotators); starting one is for admins.
  await load(caller.exports.list({ projectId: id }));
  const models = await caller.models.list({ projectId: id });
  return (
    <>
      <h1>{project.name}: exports</h1>
      <ProjectTabs projectId={id} role={project.myRole} current="/exports" />
      <ExportsPanel
        projectId={id}
        canStart={project.myRole === "ADMIN"}
        labels={project.labelClasses.map((l) => ({ id: l.id, name: l.name, color: l.color }))}
        models={models.map((m) => ({ id: m.id, name: m.name }))}
      />
    </>
  );
}
