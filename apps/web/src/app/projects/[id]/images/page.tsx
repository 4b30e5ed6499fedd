import { IMAGE_UPLOAD_MAX_BYTES } from "@/server/files/image-uploads.ts";
import { load, requireAdmin } from "@/server/page-session.ts";
import { ProjectTabs } from "../project-tabs.tsx";
import { ImportImages } from "./import-images.tsx";

type Params = { params: Promise<{ id: string }> };

export default async function ImagesPage({ params }: Params) {
  const { id } = await params;
  const { caller } = await requireAdmin(`/projects/${id}/images`);
  const project = await load(caller.projects.get({ projectId: id }));
  return (
    <>
      <h1>{project.name}: import images</h1>
      <ProjectTabs projectId={id} role={project.myRole} current="/images" />
      <ImportImages projectId={id} maxFileBytes={IMAGE_UPLOAD_MAX_BYTES} />
    </>
  );
}
