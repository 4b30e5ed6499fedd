// The demo: one user per role, a "Demo" project with label classes, a built model made active, and the
// sample photos ingested through the real ingest job (which then queues their embeddings). Idempotent:
// running it again changes nothing that already exists.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { hashPassword, type Role } from "@data-engine/db";
import type { Services } from "./services.ts";
import { enqueueJob } from "./queue/enqueue.ts";
import { buildDemoModel } from "./models/build-demo.ts";
import { registerStarterModel } from "./models/starter.ts";
import { activateModel } from "./models/activate.ts";

/** Fixed, documented demo credentials (README): for a local demo only, never for a deployment. */
export const DEMO_USERS: readonly { email: string; name: string; role: Role; password: string }[] = [
  { email: "admin@demo.local", name: "Demo Admin", role: "ADMIN", password: "admin-demo-password" },
  { email: "reviewer@demo.local", name: "Demo Reviewer", role: "REVIEWER", password: "reviewer-demo-password" },
  { email: "annotator@demo.local", name: "Demo Annotator", role: "ANNOTATOR", password: "annotator-demo-password" },
];

export const DEMO_LABELS: readonly { name: string; color: string }[] = [
  { name: "dog", color: "#e6194b" },
  { name: "cat", color: "#f58231" },
  { name: "person", color: "#4363d8" },
  { name: "food", color: "#3cb44b" },
  { name: "coin", color: "#ffe119" },
  { name: "object", color: "#911eb4" },
];

export const DEMO_PROJECT_SLUG = "demo";

export const DEFAULT_SAMPLES_DIR = fileURLToPath(new URL("../seed/samples/", import.meta.url));

export interface SeedOptions {
  samplesDir?: string;
  /** The demo model: the trained starter model (default), or a builder-made model with seeded random weights. */
  modelConfig?: "starter" | "tiny" | "vit_b";
}

export interface SeedResult {
  users: { email: string; role: Role; password: string; created: boolean }[];
  projectId: string;
  modelVersionId: string;
  /** The ingest job queued by this run, or null when the samples were already imported or queued. */
  ingestJobId: string | null;
}

export async function seedDemo(services: Services, options: SeedOptions = {}): Promise<SeedResult> {
  const prisma = services.prisma;
  const users: SeedResult["users"] = [];
  for (const u of DEMO_USERS) {
    const existing = await prisma.user.findUnique({ where: { email: u.email }, select: { id: true } });
    if (!existing) {
      await prisma.user.create({ data: { email: u.email, name: u.name, role: u.role, passwordHash: await hashPassword(u.password) } });
    }
    users.push({ email: u.email, role: u.role, password: u.password, created: !existing });
  }
  const admin = await prisma.user.findUniqueOrThrow({ where: { email: DEMO_USERS[0]!.email } });

  const project = await prisma.project.upsert({
    where: { slug: DEMO_PROJECT_SLUG },
    create: { name: "Demo", slug: DEMO_PROJECT_SLUG, description: "Sample photos to try the data engine", createdById: admin.id },
    update: {},
  });
  for (const u of await prisma.user.findMany({ where: { email: { in: DEMO_USERS.map((d) => d.email) } } })) {
    await prisma.projectMember.upsert({
      where: { projectId_userId: { projectId: project.id, userId: u.id } },
      create: { projectId: project.id, userId: u.id, role: u.role },
      update: {},
    });
  }
  for (const [i, label] of DEMO_LABELS.entries()) {
    await prisma.labelClass.upsert({
      where: { projectId_name: { projectId: project.id, name: label.name } },
      create: { projectId: project.id, name: label.name, color: label.color, sortOrder: i },
      update: {},
    });
  }

  let modelVersionId = project.activeModelVersionId;
  if (!modelVersionId) {
    const choice = options.modelConfig ?? "starter";
    const model =
      choice === "starter"
        ? await registerStarterModel(services, { createdById: admin.id })
        : await buildDemoModel(services, { config: choice, seed: 0, createdById: admin.id });
    // No images yet: the ingest job queues their embeddings once they exist.
    await activateModel(services, { projectId: project.id, modelVersionId: model.id, embed: false });
    modelVersionId = model.id;
  }

  const samplesDir = path.resolve(options.samplesDir ?? DEFAULT_SAMPLES_DIR);
  const imageCount = await prisma.image.count({ where: { projectId: project.id } });
  const pendingIngest = await prisma.job.count({
    where: { projectId: project.id, type: "INGEST", status: { in: ["QUEUED", "RUNNING", "SUCCEEDED"] } },
  });
  let ingestJobId: string | null = null;
  if (imageCount === 0 && pendingIngest === 0) {
    const job = await enqueueJob(services, {
      type: "INGEST",
      projectId: project.id,
      params: { source: { kind: "folder", path: samplesDir, origin: "SEED" }, extensions: ["jpg", "jpeg", "png"] },
      createdById: admin.id,
    });
    ingestJobId = job.id;
  }
  return { users, projectId: project.id, modelVersionId, ingestJobId };
}
