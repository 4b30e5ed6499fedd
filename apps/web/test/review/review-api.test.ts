// Review, export and dashboard procedures against a real (PGlite) database: concurrent reviewers on one
// mask, the conflict message, signed image URLs in the queue, export requests, and the dashboard's SQL
// aggregates checked against numbers worked out by hand from the rows inserted here.
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { createMask, IMAGE_H, IMAGE_W } from "../support/fixture.ts";
import { fx, t, useApiWorld } from "../support/api-world.ts";

useApiWorld();

async function newReviewer(projectId: string, name: string) {
  const user = await t.runtime.prisma.user.create({ data: { email: `${name}-${randomUUID().slice(0, 6)}@example.test`, name, role: "REVIEWER" } });
  await t.runtime.prisma.projectMember.create({ data: { projectId, userId: user.id, role: "REVIEWER" } });
  return user;
}

describe("two or more reviewers on the same mask", () => {
  it("applies exactly one decision; the others get CONFLICT naming who decided", async () => {
    const mask = await createMask(t, { projectId: fx.projectId, imageId: fx.imageId });
    const reviewers = await Promise.all([1, 2, 3, 4, 5].map((i) => newReviewer(fx.projectId, `rev${i}`)));
    const callers = await Promise.all(reviewers.map((r) => t.callerFor(r.id)));
    const results = await Promise.allSettled(
      callers.map((c, i) => c.review.decide({ projectId: fx.projectId, maskId: mask.id, expectedVersion: 1, action: i % 2 ? "REJECT" : "ACCEPT" })),
    );
    const ok = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    expect(ok).toHaveLength(1);
    const winner = reviewers[ok[0]!]!;
    const row = await t.runtime.prisma.mask.findUniqueOrThrow({ where: { id: mask.id } });
    expect(row).toMatchObject({ version: 2, reviewerId: winner.id, status: ok[0]! % 2 ? "REJECTED" : "ACCEPTED" });
    const decisions = await t.runtime.prisma.reviewDecision.findMany({ where: { maskId: mask.id } });
    expect(decisions.map((d) => d.reviewerId)).toEqual([winner.id]);
    for (const r of results) {
      if (r.status === "fulfilled") continue;
      expect(r.reason).toBeInstanceOf(TRPCError);
      expect(r.reason.code).toBe("CONFLICT");
      expect(r.reason.message).toContain(`was already ${row.status.toLowerCase()} by ${winner.name} (${winner.email})`);
      expect(r.reason.message).toContain("your decision was not applied");
    }
  });

  it("batch accept skips a mask a reviewer decided meanwhile, and never decides it twice", async () => {
    const project = await t.runtime.prisma.project.create({ data: { name: "Batch", slug: `batch-${randomUUID().slice(0, 6)}` } });
    const reviewer = await newReviewer(project.id, "batcher");
    const image = await t.runtime.prisma.image.create({
      data: { projectId: project.id, storageKey: "b/a.png", fileName: "a.png", mimeType: "image/png", sizeBytes: 1, width: IMAGE_W, height: IMAGE_H, sha256: randomUUID(), source: "SEED" },
    });
    const masks = await Promise.all([0.99, 0.98, 0.97].map((iou) => createMask(t, { projectId: project.id, imageId: image.id, predictedIou: iou })));
    const c = await t.callerFor(reviewer.id);
    const [single, batch] = await Promise.all([
      c.review.decide({ projectId: project.id, maskId: masks[1]!.id, expectedVersion: 1, action: "REJECT" }).then(() => "ok", (e: TRPCError) => e.code),
      c.review.batchAccept({ projectId: project.id, threshold: 0.9 }),
    ]);
    const rows = await t.runtime.prisma.mask.findMany({ where: { projectId: project.id }, include: { decisions: true } });
    // Whatever the interleaving: each mask decided exactly once, and the counts add up.
    for (const m of rows) expect(m.decisions, m.id).toHaveLength(1);
    const rejectedOne = single === "ok";
    expect(batch.accepted + (rejectedOne ? 1 : 0)).toBe(3);
    expect(rows.filter((m) => m.status === "ACCEPTED")).toHaveLength(batch.accepted);
  });
});

describe("review queue", () => {
  it("hands out a signed URL of each item's image and filters by label and model", async () => {
    const r = await t.callerFor(fx.reviewer);
    const labelled = await createMask(t, { projectId: fx.projectId, imageId: fx.imageId, labelClassId: fx.labelId, predictedIou: 1.2 });
    const q = await r.review.queue({ projectId: fx.projectId, labelClassId: fx.labelId, minPredictedIou: 1.1 });
    expect(q.items.map((i) => i.id)).toEqual([labelled.id]);
    const url = new URL(q.items[0]!.image.url, "http://x");
    const key = decodeURIComponent(url.pathname.replace(/^\/api\/files\//, ""));
    expect(key).toBe(`projects/${fx.projectId}/images/a.png`);
    expect(t.runtime.urlSigner.verify(key, "GET", url.searchParams.get("token")!)).toBe(true);
    expect(q.items[0]!.image).not.toHaveProperty("storageKey");
    expect((await r.review.queue({ projectId: fx.projectId, modelVersionId: "no-such-model" })).total).toBe(0);
  });
});

describe("exports", () => {
  it("queues an export job with the filter and options, and lists it until it has a dataset version", async () => {
    const admin = await t.callerFor(fx.admin);
    const { jobId } = await admin.exports.start({
      projectId: fx.projectId, name: "labelled dogs", formats: ["coco"], polygons: true, pngMasks: true, stages: [2, 3],
      labelClassIds: [fx.labelId], modelVersionId: fx.modelId, createdFrom: "2026-01-01T00:00:00Z", createdTo: "2026-02-01T00:00:00Z",
    });
    expect(t.enqueued.at(-1)).toMatchObject({
      type: "EXPORT", projectId: fx.projectId, createdById: fx.admin,
      params: {
        name: "labelled dogs",
        filter: { statuses: ["ACCEPTED"], stages: [2, 3], labels: [fx.labelId], modelVersionId: fx.modelId, createdFrom: "2026-01-01T00:00:00Z", createdTo: "2026-02-01T00:00:00Z" },
        options: { formats: ["coco"], polygons: true, pngMasks: true, includeImages: false, layout: "archive" },
      },
    });
    const pending = await (await t.callerFor(fx.reviewer)).exports.pendingJobs({ projectId: fx.projectId });
    expect(pending.map((j) => j.id)).toContain(jobId);
    await expect(admin.exports.start({ projectId: fx.projectId, name: "x", labelClassIds: ["not-a-label"] })).rejects.toThrow(/not in this project/);
    await expect(admin.exports.start({ projectId: fx.projectId, name: "x", createdFrom: "2026-02-01T00:00:00Z", createdTo: "2026-01-01T00:00:00Z" })).rejects.toThrow(/before/);
  });

  it("signs a download link for a ready archive that expires within minutes", async () => {
    const r = await t.callerFor(fx.reviewer);
    const before = Date.now();
    const link = await r.exports.downloadUrl({ projectId: fx.projectId, datasetVersionId: fx.datasetId });
    expect(link.fileName).toBe("first.tar.gz");
    expect(link.sizeBytes).toBe("archive".length);
    const url = new URL(link.url, "http://x");
    const token = url.searchParams.get("token")!;
    expect(t.runtime.urlSigner.verify(`exports/${fx.projectId}/first.tar.gz`, "GET", token)).toBe(true);
    const expires = link.expiresAt.getTime();
    expect(expires).toBeGreaterThan(before + 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 10 * 60_000);
  });
});

describe("dashboard", () => {
  it("aggregates masks per stage and day, seconds per mask, masks per image, auto acceptance and model metrics", async () => {
    const { prisma } = t.runtime;
    const project = await prisma.project.create({
      data: { name: "Dash", slug: `dash-${randomUUID().slice(0, 6)}`, members: { create: { userId: fx.annotator, role: "ANNOTATOR" } } },
    });
    const img = (n: string) => prisma.image.create({
      data: { projectId: project.id, storageKey: `d/${n}`, fileName: n, mimeType: "image/png", sizeBytes: 1, width: IMAGE_W, height: IMAGE_H, sha256: randomUUID(), source: "SEED" },
    });
    const [i1, i2, i3] = [await img("1"), await img("2"), await img("3")];
    const day = (d: number, h = 12) => new Date(Date.UTC(2026, 2, d, h));
    const model = await prisma.modelVersion.create({
      data: { projectId: project.id, name: "round-1", architecture: "tiny", source: "TRAINED", encoderKey: "e", decoderKey: "d", trainingRound: 1, metrics: { mIoU: { oneClick: 0.7 }, calibration: 0.05, note: "text is ignored" } },
    });
    let n = 0;
    const mask = (m: { imageId: string; stage: number; source: "MANUAL" | "ASSISTED" | "AUTO"; status: "PROPOSED" | "ACCEPTED" | "REJECTED" | "SUPERSEDED"; createdAt: Date; timeSpentMs?: number; reviewedAt?: Date; modelVersionId?: string }) =>
      prisma.mask.create({
        data: { projectId: project.id, rle: "x", rleChecksum: `c${n++}`, bbox: [0, 0, 1, 1], area: 1, ...m },
      });
    // Stage 1 on March 1: three assisted masks on image 1 (10 s, 20 s, 60 s), one superseded (30 s) that must not count.
    await mask({ imageId: i1.id, stage: 1, source: "ASSISTED", status: "ACCEPTED", createdAt: day(1), timeSpentMs: 10_000 });
    await mask({ imageId: i1.id, stage: 1, source: "ASSISTED", status: "ACCEPTED", createdAt: day(1, 13), timeSpentMs: 20_000 });
    await mask({ imageId: i1.id, stage: 1, source: "MANUAL", status: "PROPOSED", createdAt: day(1, 14), timeSpentMs: 60_000 });
    await mask({ imageId: i1.id, stage: 1, source: "ASSISTED", status: "SUPERSEDED", createdAt: day(1, 15), timeSpentMs: 30_000 });
    // Stage 2 on March 2: auto masks on image 2: 3 accepted, 1 rejected (rejected: not collected), 1 proposed.
    for (const status of ["ACCEPTED", "ACCEPTED", "ACCEPTED", "REJECTED", "PROPOSED"] as const) {
      await mask({ imageId: i2.id, stage: 2, source: "AUTO", status, createdAt: day(2), reviewedAt: status === "PROPOSED" ? undefined : day(4), modelVersionId: model.id });
    }
    // Stage 2 on March 3: one assisted mask (8 s) on image 2; image 3 has only a rejected auto mask.
    await mask({ imageId: i2.id, stage: 2, source: "ASSISTED", status: "ACCEPTED", createdAt: day(3), timeSpentMs: 8_000 });
    await mask({ imageId: i3.id, stage: 2, source: "AUTO", status: "REJECTED", createdAt: day(3), reviewedAt: day(5), modelVersionId: model.id });

    const a = await t.callerFor(fx.annotator);
    const d = await a.dashboard.summary({ projectId: project.id });
    const iso = (x: Date) => x.toISOString().slice(0, 10);
    expect(d.masksPerStage.map((r) => [iso(r.t), r.stage, r.n])).toEqual([
      ["2026-03-01", 1, 3],
      ["2026-03-02", 2, 4],
      ["2026-03-03", 2, 1],
    ]);
    expect(d.secondsPerMask.byStage).toEqual([
      { stage: 1, n: 3, meanSeconds: 30, medianSeconds: 20 },
      { stage: 2, n: 1, meanSeconds: 8, medianSeconds: 8 },
    ]);
    expect(d.secondsPerMask.series.map((r) => [iso(r.t), r.stage, r.medianSeconds])).toEqual([["2026-03-01", 1, 20], ["2026-03-03", 2, 8]]);
    // Image 1: 3 live masks; image 2: 5 (3 accepted + 1 proposed auto + 1 assisted); image 3: 0.
    expect(d.masksPerImage.histogram).toEqual([{ masks: 0, images: 1 }, { masks: 3, images: 1 }, { masks: 5, images: 1 }]);
    expect(d.masksPerImage.mean).toBeCloseTo(8 / 3, 10);
    // Auto masks: 3 accepted, 2 rejected -> 60 %; by review day: March 4 (3/1), March 5 (0/1).
    expect(d.autoAcceptance.rate).toBeCloseTo(0.6, 10);
    expect(d.autoAcceptance.series.map((r) => [iso(r.t), r.accepted, r.rejected])).toEqual([["2026-03-04", 3, 1], ["2026-03-05", 0, 1]]);
    expect(d.autoAcceptance.byModel).toEqual([{ modelVersionId: model.id, modelName: "round-1", accepted: 3, rejected: 2 }]);
    const m = d.models.find((x) => x.id === model.id)!;
    expect(m.numericMetrics).toEqual({ "mIoU.oneClick": 0.7, calibration: 0.05 });

    const weekly = await a.dashboard.summary({ projectId: project.id, bucket: "month" });
    expect(weekly.masksPerStage.map((r) => [iso(r.t), r.stage, r.n])).toEqual([["2026-03-01", 1, 3], ["2026-03-01", 2, 5]]);
  });
});
