import { Suspense } from "react";
import { load, requireSession } from "@/server/page-session.ts";
import { ReviewApp } from "@/review/review-app.tsx";
import { ProjectTabs } from "../project-tabs.tsx";

type Params = { params: Promise<{ id: string }> };

export default async function ReviewPage({ params }: Params) {
  const { id } = await params;
  const { caller } = await requireSession(`/projects/${id}/review`);
  const project = await load(caller.projects.get({ projectId: id }));
  // The review role is checked by the queue itself (a 403 page for annotators).
  const first = await load(caller.review.queue({ projectId: id, limit: 1 }));
  const models = await caller.models.list({ projectId: id });
  return (
    <>
      <h1>{project.name}: review</h1>
      <ProjectTabs projectId={id} role={project.myRole} current="/review" />
      <p className="muted" data-testid="review-count">{first.total} proposed masks await review</p>
      <Suspense fallback={<p className="muted">Loading the queue…</p>}>
        <ReviewApp
          projectId={id}
          labels={project.labelClasses.map((l) => ({ id: l.id, name: l.name, color: l.color }))}
          models={models.map((m) => ({ id: m.id, name: m.name }))}
        />
      </Suspense>
    </>
  );
}
