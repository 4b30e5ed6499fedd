import Link from "next/link";
import { IMAGE_STATUSES } from "@/server/domain.ts";
import { load, requireSession } from "@/server/page-session.ts";
import { ProjectTabs } from "./project-tabs.tsx";
import { GenerateMasks } from "./generate-masks.tsx";

type Params = { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | undefined>> };
const PAGE_SIZE = 48;

export default async function ProjectOverview({ params, searchParams }: Params) {
  const { id } = await params;
  const query = await searchParams;
  const status = IMAGE_STATUSES.find((s) => s === query.status);
  const page = Math.max(1, Number.parseInt(query.page ?? "1", 10) || 1);
  const { caller } = await requireSession(`/projects/${id}`);
  const project = await load(caller.projects.get({ projectId: id }));
  const images = await load(caller.images.list({ projectId: id, status, page, pageSize: PAGE_SIZE }));
  const totalImages = Object.values(project.imageCounts).reduce((a, b) => a + b, 0);
  const link = (s: string | undefined, p = 1) => `/projects/${id}?${new URLSearchParams({ ...(s ? { status: s } : {}), ...(p > 1 ? { page: String(p) } : {}) })}`;

  return (
    <>
      <h1>{project.name} {project.archivedAt && <span className="badge">archived</span>}</h1>
      <ProjectTabs projectId={id} role={project.myRole} current="" />
      {project.description && <p className="muted">{project.description}</p>}
      <p className="muted">
        Active model: {project.activeModelVersion ? `${project.activeModelVersion.name} (${project.activeModelVersion.architecture})` : "none yet"}
        {" · "}Labels: {project.labelClasses.length === 0 ? "none" : project.labelClasses.map((l) => (
          <span key={l.id} style={{ marginRight: "0.6rem" }}><span className="swatch" style={{ background: l.color }} />{l.name}</span>
        ))}
      </p>

      {project.myRole === "ADMIN" && <GenerateMasks projectId={id} hasModel={Boolean(project.activeModelVersion)} />}

      <h2>Images by status</h2>
      <div className="stats" data-testid="image-counts">
        <Link className="stat" href={link(undefined)}><div className="n">{totalImages}</div><div className="l">all images</div></Link>
        {IMAGE_STATUSES.map((s) => (
          <Link key={s} className="stat" href={link(s)} aria-current={status === s ? "page" : undefined}>
            <div className="n">{project.imageCounts[s]}</div><div className="l">{s.toLowerCase().replace("_", " ")}</div>
          </Link>
        ))}
      </div>

      <h2>Masks per stage</h2>
      <table data-testid="mask-stages">
        <thead><tr><th>Stage</th><th>Proposed</th><th>Accepted</th><th>Rejected</th><th>Superseded</th></tr></thead>
        <tbody>
          {project.maskStages.map((s) => (
            <tr key={s.stage}>
              <td>{["", "1 · assisted manual", "2 · semi-automatic", "3 · fully automatic"][s.stage]}</td>
              <td>{s.counts.PROPOSED}</td><td>{s.counts.ACCEPTED}</td><td>{s.counts.REJECTED}</td><td>{s.counts.SUPERSEDED}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>{status ? `Images: ${status.toLowerCase().replace("_", " ")}` : "Images"} <span className="muted">({images.total})</span></h2>
      {images.items.length === 0 ? (
        <p className="muted">
          No images{status ? " with this status." : project.myRole === "ADMIN" ? <>{" yet: "}<Link href={`/projects/${id}/images`}>import some</Link>.</> : " yet: an administrator can import them."}
        </p>
      ) : (
        <div className="grid" data-testid="image-grid">
          {images.items.map((img) => (
            <Link key={img.id} href={`/projects/${id}/annotate/${img.id}`} className="tile" title={`Annotate ${img.fileName}`}>
              <img src={img.thumbnailUrl} alt={img.fileName} loading="lazy" />
              <div className="meta">
                <span className="name">{img.fileName}</span>
                <span className={`badge ${img.status}`}>{img.status.toLowerCase().replace("_", " ")}</span>
              </div>
              <div className="meta muted"><span>{img.width}×{img.height}</span><span>{img.maskCount} masks</span></div>
            </Link>
          ))}
        </div>
      )}
      {images.pageCount > 1 && (
        <div className="pager">
          {page > 1 && <Link className="button secondary" href={link(status, page - 1)}>Previous</Link>}
          <span className="muted">Page {page} of {images.pageCount}</span>
          {page < images.pageCount && <Link className="button secondary" href={link(status, page + 1)}>Next</Link>}
        </div>
      )}
    </>
  );
}
