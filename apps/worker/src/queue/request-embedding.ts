// What the web app calls when an annotator opens an image without an embedding: a high-priority embed
// job on the priority lane, unless the embedding exists or is already being computed.
import type { Job } from "@data-engine/db";
import type { Services } from "../services.ts";
import { NotFoundError } from "../errors.ts";
import { resolveModelVersionId } from "../jobs/embed/handler.ts";
import { enqueueJob } from "./enqueue.ts";

export const EMBED_PRIORITY = 10;

export async function requestEmbedding(
  services: Services,
  request: { imageId: string; modelVersionId?: string; createdById?: string | null },
): Promise<{ status: "ready" } | { status: "queued"; job: Job }> {
  const prisma = services.prisma;
  const image = await prisma.image.findUnique({ where: { id: request.imageId }, select: { id: true, projectId: true } });
  if (!image) throw new NotFoundError(`No image with id "${request.imageId}"`);
  const modelVersionId = await resolveModelVersionId(services, image.projectId, request.modelVersionId);
  const existing = await prisma.embedding.findUnique({
    where: { imageId_modelVersionId: { imageId: image.id, modelVersionId } },
    select: { id: true },
  });
  if (existing) return { status: "ready" };
  const pending = await prisma.job.findFirst({
    where: {
      projectId: image.projectId,
      type: "EMBED",
      priority: { gt: 0 },
      status: { in: ["QUEUED", "RUNNING"] },
      params: { equals: { imageIds: [image.id], modelVersionId } },
    },
  });
  if (pending) return { status: "queued", job: pending };
  const job = await enqueueJob(services, {
    type: "EMBED",
    projectId: image.projectId,
    params: { imageIds: [image.id], modelVersionId },
    createdById: request.createdById ?? null,
    priority: EMBED_PRIORITY,
  });
  return { status: "queued", job };
}
