// Behaviour of the API beyond access rules: sessions, optimistic concurrency, review history, audit,
// isolation between projects.
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { mintSessionToken } from "../src/server/auth/session-cookie.ts";
import { verifyCredentials } from "../src/server/auth/options.ts";
import { createMask, IMAGE_H, IMAGE_W, PASSWORD } from "./support/fixture.ts";
import { decodeCounts, rectangleRle } from "./support/coco-rle.ts";
import { fx, t, useApiWorld } from "./support/api-world.ts";

useApiWorld();

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (err) {
    return err instanceof TRPCError ? err.code : `unexpected ${String(err)}`;
  }
}

describe("sessions", () => {
  it("reads the user from a real next-auth session cookie", async () => {
    const me = await (await t.callerFor(fx.reviewer)).me.get();
    expect(me).toMatchObject({ id: fx.reviewer, email: "reviewer@example.test", role: "REVIEWER" });
    expect(me.memberships).toEqual([{ projectId: fx.projectId, projectName: "Main", role: "REVIEWER" }]);
  });

  it("treats a token signed with another secret, or garbage, as signed out", async () => {
    const forged = await mintSessionToken(fx.admin, "some-other-secret-0123456789abcdefgh");
    expect(await codeOf((await t.callerFor(null, `next-auth.session-token=${forged}`)).me.get())).toBe("UNAUTHORIZED");
    expect(await codeOf((await t.callerFor(null, "next-auth.session-token=not-a-jwt")).me.get())).toBe("UNAUTHORIZED");
  });

  it("applies role changes and disabling to existing sessions at once", async () => {
    const admin = await t.callerFor(fx.admin);
    const user = await admin.users.create({ email: "temp@example.test", password: "password123", role: "ANNOTATOR" });
    // One session cookie, minted before the changes below; each request builds a new context from it.
    const cookie = await t.cookieFor(user.id);
    const request = () => t.callerFor(null, cookie);
    expect(await codeOf((await request()).users.list())).toBe("FORBIDDEN");
    await admin.users.setRole({ userId: user.id, role: "ADMIN" });
    expect(await codeOf((await request()).users.list())).toBe("ok");
    await admin.users.setDisabled({ userId: user.id, disabled: true });
    expect(await codeOf((await request()).me.get())).toBe("UNAUTHORIZED");
  });

  it("verifies passwords and refuses disabled accounts", async () => {
    expect(await verifyCredentials(t.runtime, "Annotator@Example.test ", PASSWORD)).toMatchObject({ id: fx.annotator });
    expect(await verifyCredentials(t.runtime, "annotator@example.test", "wrong password")).toBeNull();
    expect(await verifyCredentials(t.runtime, "nobody@example.test", PASSWORD)).toBeNull();
    const admin = await t.callerFor(fx.admin);
    const u = await admin.users.create({ email: "gone@example.test", password: "password123" });
    expect(await verifyCredentials(t.runtime, "gone@example.test", "password123")).toMatchObject({ id: u.id });
    await admin.users.setDisabled({ userId: u.id, disabled: true });
    expect(await verifyCredentials(t.runtime, "gone@example.test", "password123")).toBeNull();
  });

  it("refuses to disable or demote the last administrator", async () => {
    const admins = await t.runtime.prisma.user.findMany({ where: { role: "ADMIN", disabled: false } });
    const admin = await t.callerFor(fx.admin);
    for (const a of admins.filter((a) => a.id !== fx.admin)) await admin.users.setRole({ userId: a.id, role: "ANNOTATOR" });
    expect(await codeOf(admin.users.setRole({ userId: fx.admin, role: "REVIEWER" }))).toBe("BAD_REQUEST");
    expect(await codeOf(admin.users.setDisabled({ userId: fx.admin, disabled: true }))).toBe("BAD_REQUEST");
  });
});

describe("masks", () => {
  it("computes area and box from the RLE and records the author", async () => {
    const annotator = await t.callerFor(fx.annotator);
    const mask = await annotator.masks.create({ projectId: fx.projectId, imageId: fx.imageId, rle: rectangleRle(IMAGE_H, IMAGE_W, [2, 1, 3, 4]) });
    expect(mask).toMatchObject({ area: 12, bbox: [2, 1, 3, 4], authorId: fx.annotator, status: "PROPOSED", version: 1, modelVersionId: fx.modelId });
  });

  it("rejects an RLE that does not fit the image, and an empty mask", async () => {
    const annotator = await t.callerFor(fx.annotator);
    const tooBig = rectangleRle(IMAGE_H + 1, IMAGE_W, [0, 0, 1, 1]);
    await expect(annotator.masks.create({ projectId: fx.projectId, imageId: fx.imageId, rle: tooBig })).rejects.toThrow(/does not describe a 8x6 mask/);
    const empty = rectangleRle(IMAGE_H, IMAGE_W, [0, 0, 0, 0]);
    expect(decodeCounts(empty)).toEqual([IMAGE_H * IMAGE_W]);
    await expect(annotator.masks.create({ projectId: fx.projectId, imageId: fx.imageId, rle: empty })).rejects.toThrow(/empty/);
  });

  it("refuses a stale expectedVersion with CONFLICT and a message saying what happened", async () => {
    const mask = await createMask(t, { projectId: fx.projectId, imageId: fx.imageId });
    const a = await t.callerFor(fx.annotator);
    const b = await t.callerFor(fx.reviewer);
    const first = await a.masks.update({ projectId: fx.projectId, maskId: mask.id, expectedVersion: 1, labelClassId: fx.labelId });
    expect(first.version).toBe(2);
    const stale = b.masks.update({ projectId: fx.projectId, maskId: mask.id, expectedVersion: 1, labelClassId: null });
    await expect(stale).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(b.masks.update({ projectId: fx.projectId, maskId: mask.id, expectedVersion: 1, labelClassId: null })).rejects.toThrow(
      /changed by someone else \(you edited version 1, it is now at version 2\)/,
    );
    const row = await t.runtime.prisma.mask.findUniqueOrThrow({ where: { id: mask.id } });
    expect(row.labelClassId).toBe(fx.labelId);
  });

  it("supersedes a reshaped mask with a new row and keeps the old one as history", async () => {
    const mask = await createMask(t, { projectId: fx.projectId, imageId: fx.imageId, labelClassId: fx.labelId });
    const a = await t.callerFor(fx.annotator);
    const rle = rectangleRle(IMAGE_H, IMAGE_W, [0, 0, 8, 6]);
    const replacement = await a.masks.update({ projectId: fx.projectId, maskId: mask.id, expectedVersion: 1, rle });
    expect(replacement).toMatchObject({ area: 48, bbox: [0, 0, 8, 6], status: "PROPOSED", version: 1, labelClassId: fx.labelId, source: "ASSISTED" });
    const old = await t.runtime.prisma.mask.findUniqueOrThrow({ where: { id: mask.id } });
    expect(old).toMatchObject({ status: "SUPERSEDED", version: 2, supersededById: replacement.id });
    await expect(a.masks.update({ projectId: fx.projectId, maskId: mask.id, expectedVersion: 2, labelClassId: null })).rejects.toThrow(
      new RegExp(`replaced by mask ${replacement.id}`),
    );
  });

  it("lets annotators delete only masks awaiting review", async () => {
    const accepted = await createMask(t, { projectId: fx.projectId, imageId: fx.imageId, status: "ACCEPTED" });
    const a = await t.callerFor(fx.annotator);
    expect(await codeOf(a.masks.delete({ projectId: fx.projectId, maskId: accepted.id, expectedVersion: 1 }))).toBe("FORBIDDEN");
    const r = await t.callerFor(fx.reviewer);
    expect(await r.masks.delete({ projectId: fx.projectId, maskId: accepted.id, expectedVersion: 1 })).toMatchObject({ status: "SUPERSEDED" });
    const list = await r.masks.list({ projectId: fx.projectId, imageId: fx.imageId });
    expect(list.map((m) => m.id)).not.toContain(accepted.id);
  });
});

describe("review", () => {
  it("records every decision in the append-only history and audits it", async () => {
    const mask = await createMask(t, { projectId: fx.projectId, imageId: fx.imageId, predictedIou: 0.5 });
    const r = await t.callerFor(fx.reviewer);
    const rejected = await r.review.decide({ projectId: fx.projectId, maskId: mask.id, expectedVersion: 1, action: "REJECT", note: "too loose" });
    expect(rejected).toMatchObject({ status: "REJECTED", version: 2, reviewerId: fx.reviewer });
    const relabelled = await r.review.decide({ projectId: fx.projectId, maskId: mask.id, expectedVersion: 2, action: "RELABEL", labelClassId: fx.labelId });
    expect(relabelled).toMatchObject({ status: "ACCEPTED", labelClassId: fx.labelId, version: 3 });
    await expect(r.review.decide({ projectId: fx.projectId, maskId: mask.id, expectedVersion: 2, action: "ACCEPT" })).rejects.toMatchObject({ code: "CONFLICT" });
    const history = await r.review.history({ projectId: fx.projectId, maskId: mask.id });
    expect(history.map((d) => [d.action, d.fromStatus, d.toStatus, d.maskVersion])).toEqual([
      ["REJECT", "PROPOSED", "REJECTED", 1],
      ["RELABEL", "REJECTED", "ACCEPTED", 2],
    ]);
    const audit = await (await t.callerFor(fx.admin)).audit.list({ entityId: mask.id });
    expect(audit.map((e) => e.action).sort()).toEqual(["mask.reject", "mask.relabel"]);
  });

  it("sorts the queue by predicted IoU and batch-accepts only masks at or above the threshold", async () => {
    const { prisma } = t.runtime;
    const project = await prisma.project.create({ data: { name: "Queue", slug: "queue", members: { create: { userId: fx.reviewer, role: "REVIEWER" } } } });
    const image = await prisma.image.create({
      data: { projectId: project.id, storageKey: "q/a.png", fileName: "a.png", mimeType: "image/png", sizeBytes: 1, width: IMAGE_W, height: IMAGE_H, sha256: "q", source: "SEED" },
    });
    for (const iou of [0.7, 0.95, 0.85, 0.99]) await createMask(t, { projectId: project.id, imageId: image.id, predictedIou: iou });
    const r = await t.callerFor(fx.reviewer);
    const queue = await r.review.queue({ projectId: project.id });
    expect(queue.items.map((m) => m.predictedIou)).toEqual([0.99, 0.95, 0.85, 0.7]);
    expect((await r.review.queue({ projectId: project.id, minPredictedIou: 0.8, sort: "iou_asc" })).items.map((m) => m.predictedIou)).toEqual([0.85, 0.95, 0.99]);
    expect(await r.review.batchAccept({ projectId: project.id, threshold: 0.9 })).toEqual({ accepted: 2, skipped: 0 });
    const left = await r.review.queue({ projectId: project.id });
    expect(left.items.map((m) => m.predictedIou)).toEqual([0.85, 0.7]);
    expect(await prisma.reviewDecision.count({ where: { mask: { projectId: project.id } } })).toBe(2);
  });
});

describe("project isolation", () => {
  it("does not reach another project's image through my project's id", async () => {
    const a = await t.callerFor(fx.annotator);
    expect(await codeOf(a.images.get({ projectId: fx.projectId, imageId: fx.otherImageId }))).toBe("NOT_FOUND");
    expect(await codeOf(a.masks.list({ projectId: fx.projectId, imageId: fx.otherImageId }))).toBe("NOT_FOUND");
    expect(await codeOf(a.images.get({ projectId: fx.otherProjectId, imageId: fx.otherImageId }))).toBe("FORBIDDEN");
  });

  it("lists only my projects and my projects' jobs", async () => {
    const outsider = await t.callerFor(fx.outsider);
    expect((await outsider.projects.list()).map((p) => p.name)).toEqual(["Other"]);
    expect((await outsider.jobs.list()).every((j) => j.projectId !== fx.projectId)).toBe(true);
  });

  it("keeps a project role within the user's global role", async () => {
    const admin = await t.callerFor(fx.admin);
    await expect(admin.projects.members.add({ projectId: fx.projectId, userId: fx.outsider, role: "ADMIN" })).rejects.toThrow(
      /cannot exceed the user's global role/,
    );
  });
});

describe("files and jobs", () => {
  it("hands out signed file URLs that verify for exactly that key", async () => {
    const a = await t.callerFor(fx.annotator);
    const image = await a.images.get({ projectId: fx.projectId, imageId: fx.imageId });
    const url = new URL(image.url, "http://x");
    const key = decodeURIComponent(url.pathname.replace(/^\/api\/files\//, ""));
    expect(key).toBe(`projects/${fx.projectId}/images/a.png`);
    const token = url.searchParams.get("token")!;
    expect(t.runtime.urlSigner.verify(key, "GET", token)).toBe(true);
    expect(t.runtime.urlSigner.verify(`projects/${fx.otherProjectId}/images/b.png`, "GET", token)).toBe(false);
    expect(image.embedding?.dtype).toBe("float16");
  });

  it("queues an embedding job with the requested priority when none exists yet", async () => {
    const { prisma } = t.runtime;
    const img = await prisma.image.create({
      data: { projectId: fx.projectId, storageKey: "x/new.png", fileName: "new.png", mimeType: "image/png", sizeBytes: 1, width: 2, height: 2, sha256: "new", source: "SEED" },
    });
    const a = await t.callerFor(fx.annotator);
    const result = await a.images.requestEmbedding({ projectId: fx.projectId, imageId: img.id, priority: 80 });
    expect(result.status).toBe("queued");
    expect(t.enqueued.at(-1)).toEqual({
      type: "EMBED", projectId: fx.projectId, params: { imageIds: [img.id], modelVersionId: fx.modelId }, createdById: fx.annotator, priority: 80,
    });
    const before = t.enqueued.length;
    const again = await a.images.requestEmbedding({ projectId: fx.projectId, imageId: img.id });
    expect(again).toEqual({ status: "queued", embeddingId: null, jobId: result.jobId });
    expect(t.enqueued.length).toBe(before);
  });
});
