import { load, requireAdmin } from "@/server/page-session.ts";
import { ProjectTabs } from "../project-tabs.tsx";
import { LabelsEditor, MembersEditor, ModelPicker, ProjectDetailsForm } from "./settings-forms.tsx";

type Params = { params: Promise<{ id: string }> };

export default async function SettingsPage({ params }: Params) {
  const { id } = await params;
  const { caller } = await requireAdmin(`/projects/${id}/settings`);
  const project = await load(caller.projects.get({ projectId: id }));
  const [labels, members, users, models] = await Promise.all([
    caller.projects.labels.list({ projectId: id, includeArchived: true }),
    caller.projects.members.list({ projectId: id }),
    caller.users.list(),
    caller.models.list({ projectId: id }),
  ]);
  return (
    <>
      <h1>{project.name}: settings</h1>
      <ProjectTabs projectId={id} role={project.myRole} current="/settings" />
      <h2>Project</h2>
      <ProjectDetailsForm projectId={id} name={project.name} description={project.description ?? ""} archived={project.archivedAt !== null} />
      <h2>Active model</h2>
      <ModelPicker projectId={id} activeId={project.activeModelVersionId} models={models.map((m) => ({ id: m.id, name: m.name, architecture: m.architecture, status: m.status }))} />
      <h2>Label classes</h2>
      <LabelsEditor projectId={id} labels={labels.map((l) => ({ id: l.id, name: l.name, color: l.color, archived: l.archivedAt !== null }))} />
      <h2>Members</h2>
      <MembersEditor
        projectId={id}
        members={members.map((m) => ({ id: m.id, email: m.email, role: m.role, globalRole: m.globalRole }))}
        users={users.filter((u) => !u.disabled).map((u) => ({ id: u.id, email: u.email, role: u.role }))}
      />
    </>
  );
}
