import Link from "next/link";
import { load, requireSession } from "@/server/page-session.ts";

type Params = { params: Promise<{ id: string; imageId: string }> };

// The annotator (SAM decoder in the browser, brush/eraser, labels) comes next; this page already shows
// the real image, its embedding state and its masks so the slot is wired to live data.
export default async function AnnotatePage({ params }: Params) {
  const { id, imageId } = await params;
  const { caller } = await requireSession(`/projects/${id}/annotate/${imageId}`);
  const image = await load(caller.images.get({ projectId: id, imageId }));
  const masks = await load(caller.masks.list({ projectId: id, imageId }));
  return (
    <>
      <p><Link href={`/projects/${id}`}>← Back to the project</Link></p>
      <h1>{image.fileName} <span className={`badge ${image.status}`}>{image.status.toLowerCase().replace("_", " ")}</span></h1>
      <div className="row" style={{ alignItems: "flex-start" }}>
        <img src={image.url} alt={image.fileName} style={{ maxWidth: "min(100%, 760px)", borderRadius: 8, border: "1px solid var(--line)" }} />
        <div className="placeholder stack" style={{ flex: 1, minWidth: 260 }}>
          <strong>Annotator: coming next</strong>
          <span className="muted">
            This screen will run SAM&apos;s decoder in the browser on the precomputed embedding: click foreground/background
            points or drag a box, refine with more clicks, brush and eraser, choose a label, save with optimistic concurrency.
          </span>
          <span>Image: {image.width}×{image.height}</span>
          <span>Embedding for the active model: {image.embedding ? `ready (${image.embedding.dtype})` : image.activeModelVersionId ? "not computed yet" : "no active model"}</span>
          <span data-testid="mask-count">Masks on this image: {masks.length}</span>
        </div>
      </div>
    </>
  );
}
