// The procedures the annotator loads from: the active decoder, an image's embedding state, neighbours.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fx, t, useApiWorld } from "../support/api-world.ts";

useApiWorld();

async function addImage(projectId: string, name: string, createdAt: Date) {
  return t.runtime.prisma.image.create({
    data: { projectId, storageKey: `projects/${projectId}/images/${name}.png`, fileName: `${name}.png`, mimeType: "image/png", sizeBytes: 1, width: 4, height: 3, sha256: randomUUID(), source: "SEED", createdAt },
  });
}

describe("images.decoder", () => {
  it("names the active model and signs its decoder's URL", async () => {
    const annotator = await t.callerFor(fx.annotator);
    const d = await annotator.images.decoder({ projectId: fx.projectId });
    expect(d.modelVersionId).toBe(fx.modelId);
    expect(d.decoderUrl).toMatch(/^\/api\/files\/models\/starter\/decoder\.onnx\?token=/);
    const token = new URL(d.decoderUrl, "http://x").searchParams.get("token")!;
    expect(t.runtime.urlSigner.verify("models/starter/decoder.onnx", "GET", token)).toBe(true);
  });

  it("says clearly when the project has no active model", async () => {
    const admin = await t.callerFor(fx.admin);
    await expect(admin.images.decoder({ projectId: fx.otherProjectId })).rejects.toThrow(/no active model/);
  });
});

describe("images.embedding", () => {
  it("is ready with a signed URL when the embedding exists", async () => {
    const e = await (await t.callerFor(fx.annotator)).images.embedding({ projectId: fx.projectId, imageId: fx.imageId });
    expect(e.status).toBe("ready");
    expect(e.url).toMatch(new RegExp(`^/api/files/embeddings/${fx.imageId}\\.bin\\?token=`));
  });

  it("follows the embed job that covers the image: none, queued with progress, failed with the reason", async () => {
    const annotator = await t.callerFor(fx.annotator);
    const img = await addImage(fx.projectId, `e-${randomUUID()}`, new Date());
    expect((await annotator.images.embedding({ projectId: fx.projectId, imageId: img.id })).status).toBe("none");
    // A job for another image does not count.
    await t.runtime.prisma.job.create({ data: { projectId: fx.projectId, type: "EMBED", status: "RUNNING", params: { imageIds: [fx.imageId], modelVersionId: fx.modelId } } });
    expect((await annotator.images.embedding({ projectId: fx.projectId, imageId: img.id })).status).toBe("none");
    const queued = await annotator.images.requestEmbedding({ projectId: fx.projectId, imageId: img.id, priority: 90 });
    await t.runtime.prisma.job.update({ where: { id: queued.jobId! }, data: { status: "RUNNING", progress: 40, progressMessage: "embedding 0/1 images" } });
    const running = await annotator.images.embedding({ projectId: fx.projectId, imageId: img.id });
    expect(running).toMatchObject({ status: "running", jobId: queued.jobId, progress: 40, message: "embedding 0/1 images", url: null });
    await t.runtime.prisma.job.update({ where: { id: queued.jobId! }, data: { status: "FAILED", error: "encoder ran out of memory" } });
    expect(await annotator.images.embedding({ projectId: fx.projectId, imageId: img.id })).toMatchObject({ status: "failed", message: "encoder ran out of memory" });
  });

  it("does not reach another project's image", async () => {
    const annotator = await t.callerFor(fx.annotator);
    await expect(annotator.images.embedding({ projectId: fx.projectId, imageId: fx.otherImageId })).rejects.toThrow(/Image .* (does not exist|not found)/i);
  });
});

describe("images.neighbors", () => {
  it("gives the previous image and the next ones in creation order, within the project", async () => {
    const base = Date.parse("2030-01-01T00:00:00Z");
    const a = await addImage(fx.projectId, "n-a", new Date(base));
    const b = await addImage(fx.projectId, "n-b", new Date(base + 1000));
    const c = await addImage(fx.projectId, "n-c", new Date(base + 2000));
    const d = await addImage(fx.projectId, "n-d", new Date(base + 3000));
    await addImage(fx.otherProjectId, "n-other", new Date(base + 1500));
    const annotator = await t.callerFor(fx.annotator);
    const n = await annotator.images.neighbors({ projectId: fx.projectId, imageId: b.id, after: 2 });
    expect(n.previous?.id).toBe(a.id);
    expect(n.next.map((x) => x.id)).toEqual([c.id, d.id]);
    const last = await annotator.images.neighbors({ projectId: fx.projectId, imageId: d.id });
    expect(last.next).toEqual([]);
    expect(last.previous?.id).toBe(c.id);
  });
});
