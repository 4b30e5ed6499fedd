// A small world for API tests: one project with members of each role, an outsider, an image with an
// embedding, a label, a mask, a finished job and a ready export.
import { randomUUID } from "node:crypto";
import type { TestRuntime } from "./test-runtime.ts";
import { rectangleRle } from "./coco-rle.ts";

export const IMAGE_H = 6;
export const IMAGE_W = 8;
export const PASSWORD = "correct horse battery";

export interface Fixture {
  admin: string;
  reviewer: string;
  annotator: string;
  outsider: string;
  projectId: string;
  otherProjectId: string;
  labelId: string;
  imageId: string;
  otherImageId: string;
  modelId: string;
  maskId: string;
  jobId: string;
  datasetId: string;
}

export async function createFixture(t: TestRuntime): Promise<Fixture> {
  const { prisma, passwords, storage } = t.runtime;
  const passwordHash = await passwords.hash(PASSWORD);
  const user = (email: string, role: "ADMIN" | "REVIEWER" | "ANNOTATOR") =>
    prisma.user.create({ data: { email, role, passwordHash, name: email.split("@")[0] } }).then((u) => u.id);
  const admin = await user("admin@example.test", "ADMIN");
  const reviewer = await user("reviewer@example.test", "REVIEWER");
  const annotator = await user("annotator@example.test", "ANNOTATOR");
  const outsider = await user("outsider@example.test", "REVIEWER");

  const model = await prisma.modelVersion.create({
    data: { name: "starter", architecture: "tiny", source: "BUILT", encoderKey: "models/starter/encoder.onnx", decoderKey: "models/starter/decoder.onnx", status: "ACTIVE" },
  });
  const project = await prisma.project.create({
    data: {
      name: "Main", slug: "main", activeModelVersionId: model.id,
      members: { create: [{ userId: reviewer, role: "REVIEWER" }, { userId: annotator, role: "ANNOTATOR" }] },
    },
  });
  const other = await prisma.project.create({ data: { name: "Other", slug: "other", members: { create: [{ userId: outsider, role: "REVIEWER" }] } } });
  const label = await prisma.labelClass.create({ data: { projectId: project.id, name: "dog", color: "#ff0000" } });

  const image = async (projectId: string, name: string) => {
    const key = `projects/${projectId}/images/${name}.png`;
    await storage.put(key, Buffer.from(`png bytes of ${name}`));
    return prisma.image.create({
      data: {
        projectId, storageKey: key, fileName: `${name}.png`, mimeType: "image/png", sizeBytes: 10, width: IMAGE_W, height: IMAGE_H,
        sha256: randomUUID(), source: "SEED",
      },
    });
  };
  const img = await image(project.id, "a");
  const otherImg = await image(other.id, "b");
  await storage.put(`embeddings/${img.id}.bin`, Buffer.from("embedding"));
  await prisma.embedding.create({
    data: { imageId: img.id, modelVersionId: model.id, storageKey: `embeddings/${img.id}.bin`, dtype: "float16", shape: [1, 256, 64, 64], inputSize: 1024, sizeBytes: 9 },
  });
  const mask = await createMask(t, { projectId: project.id, imageId: img.id, labelClassId: label.id });
  const job = await prisma.job.create({ data: { projectId: project.id, type: "EMBED", status: "SUCCEEDED", progress: 100 } });
  const exportKey = `exports/${project.id}/first.tar.gz`;
  await storage.put(exportKey, Buffer.from("archive"));
  const dataset = await prisma.datasetVersion.create({
    data: { projectId: project.id, name: "first", kind: "EXPORT", status: "READY", storageKey: exportKey, imageCount: 1, maskCount: 1 },
  });
  return {
    admin, reviewer, annotator, outsider, projectId: project.id, otherProjectId: other.id, labelId: label.id, imageId: img.id,
    otherImageId: otherImg.id, modelId: model.id, maskId: mask.id, jobId: job.id, datasetId: dataset.id,
  };
}

export async function createMask(
  t: TestRuntime,
  m: { projectId: string; imageId: string; labelClassId?: string | null; predictedIou?: number; status?: "PROPOSED" | "ACCEPTED" },
) {
  const rle = rectangleRle(IMAGE_H, IMAGE_W, [1, 1, 3, 2]);
  return t.runtime.prisma.mask.create({
    data: {
      projectId: m.projectId, imageId: m.imageId, labelClassId: m.labelClassId ?? null, rle, rleChecksum: randomUUID(), bbox: [1, 1, 3, 2],
      area: 6, source: "AUTO", stage: 3, status: m.status ?? "PROPOSED", predictedIou: m.predictedIou ?? 0.9,
    },
  });
}
