// Makes a model version the one a project embeds, generates and annotates with.
import type { Job, ModelVersion } from "@data-engine/db";
import type { Services } from "../services.ts";
import { ModelError, NotFoundError } from "../errors.ts";
import { enqueueJob } from "../queue/enqueue.ts";

export interface ActivateModelRequest {
  projectId: string;
  modelVersionId: string;
  /** Queue an embed job for the project's images (default true). */
  embed?: boolean;
  createdById?: string | null;
}

export async function activateModel(services: Services, request: ActivateModelRequest): Promise<{ model: ModelVersion; embedJob: Job | null }> {
  const prisma = services.prisma;
  const model = await prisma.modelVersion.findUnique({ where: { id: request.modelVersionId } });
  if (!model) throw new NotFoundError(`No model version with id "${request.modelVersionId}"`);
  if (model.projectId && model.projectId !== request.projectId) {
    throw new ModelError(`Model version "${model.id}" belongs to another project`);
  }
  const project = await prisma.project.findUnique({ where: { id: request.projectId }, select: { id: true } });
  if (!project) throw new NotFoundError(`No project with id "${request.projectId}"`);
  const [, updated] = await prisma.$transaction([
    prisma.project.update({ where: { id: request.projectId }, data: { activeModelVersionId: model.id } }),
    prisma.modelVersion.update({
      where: { id: model.id },
      data: { status: "ACTIVE", promotedAt: model.promotedAt ?? new Date() },
    }),
  ]);
  let embedJob: Job | null = null;
  if (request.embed ?? true) {
    const pending = await prisma.image.count({ where: { projectId: request.projectId, embeddings: { none: { modelVersionId: model.id } } } });
    if (pending > 0) {
      embedJob = await enqueueJob(services, {
        type: "EMBED",
        projectId: request.projectId,
        params: { modelVersionId: model.id },
        createdById: request.createdById ?? null,
      });
    }
  }
  return { model: updated, embedJob };
}
