import Link from "next/link";
import { LIVE_MASK_STATUSES } from "@/annotator/state/live-masks.ts";
import { Annotator } from "@/annotator/ui/annotator.tsx";
import type { MaskRow } from "@/annotator/ui/side-panel.tsx";
import { load, requireSession } from "@/server/page-session.ts";

type Params = { params: Promise<{ id: string; imageId: string }> };

// The annotator page: the server reads the image, its masks, the labels and the neighbouring images
// (with the signed-in user's permissions); SAM, the canvas and saving run in the browser.
export default async function AnnotatePage({ params }: Params) {
  const { id, imageId } = await params;
  const { caller, user } = await requireSession(`/projects/${id}/annotate/${imageId}`);
  const [image, masks, labels, neighbors] = await Promise.all([
    load(caller.images.get({ projectId: id, imageId })),
    load(caller.masks.list({ projectId: id, imageId, statuses: [...LIVE_MASK_STATUSES] })),
    load(caller.projects.labels.list({ projectId: id, includeArchived: true })),
    load(caller.images.neighbors({ projectId: id, imageId, after: 3 })),
  ]);
  const rows: MaskRow[] = masks.map((m) => ({
    id: m.id, rle: m.rle, labelClassId: m.labelClassId, version: m.version, source: m.source, status: m.status, stage: m.stage, area: m.area, predictedIou: m.predictedIou,
  }));
  return (
    <>
      <div className="row" style={{ justifyContent: "space-between", marginBottom: "0.4rem" }}>
        <div className="row">
          <Link href={`/projects/${id}`}>← Project</Link>
          <strong>{image.fileName}</strong>
          <span className={`badge ${image.status}`}>{image.status.toLowerCase().replace("_", " ")}</span>
          <span className="muted">{image.width}×{image.height}</span>
        </div>
        <div className="row">
          {neighbors.previous && <Link className="button secondary" href={`/projects/${id}/annotate/${neighbors.previous.id}`}>← Previous</Link>}
          {neighbors.next[0] && <Link className="button secondary" href={`/projects/${id}/annotate/${neighbors.next[0].id}`} data-testid="next-image">Next →</Link>}
        </div>
      </div>
      <Annotator
        key={image.id}
        projectId={id}
        userId={user.id}
        image={{ id: image.id, fileName: image.fileName, width: image.width, height: image.height, url: image.url }}
        labels={labels.map((l) => ({ id: l.id, name: l.name, color: l.color, archived: l.archivedAt !== null }))}
        masks={rows}
        neighbors={{ previous: neighbors.previous && { id: neighbors.previous.id }, next: neighbors.next.map((n) => ({ id: n.id })) }}
      />
    </>
  );
}
