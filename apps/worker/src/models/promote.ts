// Promotion and rollback of retrained model versions: the admin's side of the loop. A candidate from a
// round is promoted only when it beat, on that round's held-out masks, the model that is active now (its
// base); rollback re-activates the model a promoted version replaced (its parent) in one step.
import type { Job, ModelVersion } from "@data-engine/db";
import type { Services } from "../services.ts";
import { ModelError, NotFoundError } from "../errors.ts";
import { activateModel } from "./activate.ts";

interface RoundMetrics {
  beatsBase?: boolean;
  heldOut?: { mIoU1Click?: number };
  base?: { mIoU1Click?: number };
}

export interface PromotionCheck {
  allowed: boolean;
  /** Why not, in words an admin can act on (null when allowed). */
  reason: string | null;
}

/** Whether `candidate` may be promoted in the project whose active model is `activeId`. */
export function promotionCheck(candidate: Pick<ModelVersion, "status" | "source" | "parentId" | "metrics" | "name">, activeId: string | null): PromotionCheck {
  const no = (reason: string) => ({ allowed: false, reason });
  if (candidate.source !== "TRAINED" && candidate.source !== "EXTERNAL") return no(`"${candidate.name}" was not produced by a retraining round; activate it instead`);
  if (candidate.status !== "CANDIDATE") return no(`"${candidate.name}" is ${candidate.status.toLowerCase()}, not a candidate`);
  const m = (candidate.metrics ?? {}) as RoundMetrics;
  if (candidate.parentId !== activeId) {
    return no("the active model changed since this round was trained (its held-out comparison was against another model): start a new round from the active model");
  }
  if (!m.beatsBase) {
    const f = (x?: number) => (typeof x === "number" ? x.toFixed(3) : "?");
    return no(`it does not beat the active model on the held-out masks (1-click mIoU ${f(m.heldOut?.mIoU1Click)} vs ${f(m.base?.mIoU1Click)})`);
  }
  return { allowed: true, reason: null };
}

export async function promoteCandidate(
  services: Services,
  req: { projectId: string; modelVersionId: string; createdById?: string | null; embed?: boolean },
): Promise<{ model: ModelVersion; previousId: string | null; embedJob: Job | null }> {
  const prisma = services.prisma;
  const model = await prisma.modelVersion.findUnique({ where: { id: req.modelVersionId } });
  if (!model || (model.projectId !== null && model.projectId !== req.projectId)) throw new NotFoundError(`No model version "${req.modelVersionId}" in this project`);
  const project = await prisma.project.findUnique({ where: { id: req.projectId }, select: { activeModelVersionId: true } });
  if (!project) throw new NotFoundError(`No project with id "${req.projectId}"`);
  const check = promotionCheck(model, project.activeModelVersionId);
  if (!check.allowed) throw new ModelError(`Cannot promote "${model.name}": ${check.reason}`);
  const { model: active, embedJob } = await activateModel(services, { projectId: req.projectId, modelVersionId: model.id, createdById: req.createdById ?? null, embed: req.embed });
  return { model: active, previousId: project.activeModelVersionId, embedJob };
}

/**
 * Re-activates the parent of the project's active model (the model it replaced) and archives the
 * rolled-back version, so it is not offered for promotion again.
 */
export async function rollbackModel(
  services: Services,
  req: { projectId: string; createdById?: string | null; embed?: boolean },
): Promise<{ model: ModelVersion; rolledBackId: string }> {
  const prisma = services.prisma;
  const project = await prisma.project.findUnique({ where: { id: req.projectId }, select: { activeModelVersion: true } });
  if (!project) throw new NotFoundError(`No project with id "${req.projectId}"`);
  const current = project.activeModelVersion;
  if (!current) throw new ModelError("The project has no active model to roll back");
  if (!current.parentId) throw new ModelError(`"${current.name}" has no parent model to roll back to`);
  const { model } = await activateModel(services, { projectId: req.projectId, modelVersionId: current.parentId, createdById: req.createdById ?? null, embed: req.embed });
  if (current.source === "TRAINED" || current.source === "EXTERNAL") {
    await prisma.modelVersion.update({ where: { id: current.id }, data: { status: "ARCHIVED" } });
  }
  return { model, rolledBackId: current.id };
}
