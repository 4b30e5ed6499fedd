import { load, requireSession } from "@/server/page-session.ts";
import { ProjectTabs } from "../project-tabs.tsx";

type Params = { params: Promise<{ id: string }> };

export default async function DashboardPage({ params }: Params) {
  const { id } = await params;
  const { caller } = await requireSession(`/projects/${id}/dashboard`);
  const project = await load(caller.projects.get({ projectId: id }));
  return (
    <>
      <h1>{project.name}: dashboard</h1>
      <ProjectTabs projectId={id} role={project.myRole} current="/dashboard" />
      <div className="placeholder">
        The dashboard comes next: masks per stage over time, seconds and clicks per mask (the paper&apos;s key
        metric), masks per image, review acceptance rate, and model quality per training round.
      </div>
    </>
  );
}
