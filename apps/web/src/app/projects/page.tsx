import Link from "next/link";
import { requireSession } from "@/server/page-session.ts";
import { CreateProjectForm } from "./create-project-form.tsx";

export default async function ProjectsPage() {
  const { user, caller } = await requireSession("/projects");
  const projects = await caller.projects.list({ includeArchived: false });
  return (
    <>
      <h1>Projects</h1>
      {projects.length === 0 ? (
        <p className="muted">
          {user.role === "ADMIN" ? "No projects yet: create one below." : "You are not a member of any project yet. Ask an administrator to add you."}
        </p>
      ) : (
        <div className="cards" data-testid="project-list">
          {projects.map((p) => (
            <Link key={p.id} href={`/projects/${p.id}`} className="card">
              <strong>{p.name}</strong>
              <p className="muted">{p.description ?? "No description"}</p>
              <div className="row muted">
                <span>{p.imageCount} images</span>
                <span>{p.maskCount} masks</span>
                {p.myRole && <span className="badge">{p.myRole.toLowerCase()}</span>}
              </div>
            </Link>
          ))}
        </div>
      )}
      {user.role === "ADMIN" && (
        <>
          <h2>New project</h2>
          <CreateProjectForm />
        </>
      )}
    </>
  );
}
