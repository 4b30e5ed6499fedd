import { load, requireSession } from "@/server/page-session.ts";
import { ProjectTabs } from "../project-tabs.tsx";
import { TrainingPanel } from "./training-panel.tsx";

type Params = { params: Promise<{ id: string }> };

export default async function TrainingPage({ params }: Params) {
  const { id } = await params;
  const { caller } = await requireSession(`/projects/${id}/training`);
  const project = await load(caller.projects.get({ projectId: id }));
  // Administrators only (the list answers 403 to everyone else, shown by `load`).
  await load(caller.training.list({ projectId: id }));
  return (
    <>
      <h1>{project.name}: retraining</h1>
      <ProjectTabs projectId={id} role={project.myRole} current="/training" />
      <TrainingPanel projectId={id} />
    </>
  );
}
