import { load, requireSession } from "@/server/page-session.ts";
import { ProjectTabs } from "../project-tabs.tsx";

type Params = { params: Promise<{ id: string }> };

export default async function ReviewPage({ params }: Params) {
  const { id } = await params;
  const { caller } = await requireSession(`/projects/${id}/review`);
  const project = await load(caller.projects.get({ projectId: id }));
  const queue = await load(caller.review.queue({ projectId: id, limit: 1 }));
  return (
    <>
      <h1>{project.name}: review</h1>
      <ProjectTabs projectId={id} role={project.myRole} current="/review" />
      <div className="placeholder stack">
        <strong data-testid="review-count">{queue.total} proposed masks await review</strong>
        <span className="muted">
          The review queue comes next: masks one at a time over their image, keyboard accept / reject / relabel, filters by
          predicted IoU, stability, label and model, and batch accept above a threshold. The API for all of it is in place
          (review.queue, review.decide, review.batchAccept).
        </span>
      </div>
    </>
  );
}
