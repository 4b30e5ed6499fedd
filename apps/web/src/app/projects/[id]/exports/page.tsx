import { load, requireSession } from "@/server/page-session.ts";
import { ProjectTabs } from "../project-tabs.tsx";

type Params = { params: Promise<{ id: string }> };

export default async function ExportsPage({ params }: Params) {
  const { id } = await params;
  const { caller } = await requireSession(`/projects/${id}/exports`);
  const project = await load(caller.projects.get({ projectId: id }));
  const exports = await load(caller.exports.list({ projectId: id }));
  return (
    <>
      <h1>{project.name}: exports</h1>
      <ProjectTabs projectId={id} role={project.myRole} current="/exports" />
      {exports.length === 0 ? (
        <p className="muted">No exports yet.</p>
      ) : (
        <table>
          <thead><tr><th>Name</th><th>Status</th><th>Images</th><th>Masks</th><th>Created</th></tr></thead>
          <tbody>
            {exports.map((e) => (
              <tr key={e.id}>
                <td>{e.name}</td><td><span className="badge">{e.status.toLowerCase()}</span></td>
                <td>{e.imageCount}</td><td>{e.maskCount}</td><td>{e.createdAt.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="placeholder" style={{ marginTop: "1rem" }}>
        Starting exports (SA-1B JSON, COCO, PNG masks) and downloading them from this page comes next; the API
        (exports.start, exports.list, exports.downloadUrl) is in place.
      </div>
    </>
  );
}
