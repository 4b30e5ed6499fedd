import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageStatus, MaskStatus, Prisma, Role } from "../src/index.ts";
import type { Database } from "../src/index.ts";
import { createTestDatabase } from "../src/testing.ts";

let db: Database;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.close();
});

function uniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}

async function seedProject(slug: string) {
  const user = await db.prisma.user.create({ data: { email: `${slug}@example.test`, name: slug } });
  const project = await db.prisma.project.create({
    data: {
      name: `Project ${slug}`,
      slug,
      createdById: user.id,
      members: { create: { userId: user.id, role: Role.REVIEWER } },
      labelClasses: {
        create: [
          { name: "cat", color: "#ff0000" },
          { name: "dog", color: "#00ff00", sortOrder: 1 },
        ],
      },
    },
    include: { labelClasses: { orderBy: { sortOrder: "asc" } }, members: true },
  });
  const image = await db.prisma.image.create({
    data: {
      projectId: project.id,
      storageKey: `images/${slug}/a.jpg`,
      fileName: "a.jpg",
      mimeType: "image/jpeg",
      sizeBytes: 1234,
      width: 640,
      height: 480,
      sha256: "a".repeat(64),
      source: "UPLOAD",
    },
  });
  return { user, project, image };
}

describe("CRUD over the main models", () => {
  it("creates users with defaults and rejects a duplicate email", async () => {
    const user = await db.prisma.user.create({ data: { email: "ada@example.test" } });
    expect(user.role).toBe(Role.ANNOTATOR);
    expect(user.disabled).toBe(false);
    expect(user.id).toMatch(/^c[a-z0-9]{20,}$/);
    expect(user.createdAt).toBeInstanceOf(Date);
    const duplicate = await db.prisma.user
      .create({ data: { email: "ada@example.test" } })
      .catch((e: unknown) => e);
    expect(uniqueViolation(duplicate)).toBe(true);
  });

  it("creates a project with members and label classes, unique per project", async () => {
    const { project, user } = await seedProject("alpha");
    expect(project.settings).toEqual({});
    expect(project.members).toEqual([expect.objectContaining({ userId: user.id, role: Role.REVIEWER })]);
    expect(project.labelClasses.map((label) => label.name)).toEqual(["cat", "dog"]);
    const duplicate = await db.prisma.labelClass
      .create({ data: { projectId: project.id, name: "cat", color: "#0000ff" } })
      .catch((e: unknown) => e);
    expect(uniqueViolation(duplicate)).toBe(true);
    // The same name in another project is fine.
    const other = await seedProject("beta");
    await expect(
      db.prisma.labelClass.create({ data: { projectId: other.project.id, name: "bird", color: "#0000ff" } }),
    ).resolves.toMatchObject({ name: "bird" });
  });

  it("keeps one image per content per project", async () => {
    const { project, image } = await seedProject("gamma");
    expect(image.status).toBe(ImageStatus.NEW);
    expect(image.metadata).toEqual({});
    const again = await db.prisma.image
      .create({
        data: {
          ...image,
          id: undefined,
          createdAt: undefined,
          updatedAt: undefined,
          metadata: {},
          fileName: "b.jpg",
        },
      })
      .catch((e: unknown) => e);
    expect(uniqueViolation(again)).toBe(true);
    const found = await db.prisma.image.findUnique({
      where: { projectId_sha256: { projectId: project.id, sha256: "a".repeat(64) } },
    });
    expect(found?.id).toBe(image.id);
  });

  it("stores masks with arrays and JSON, idempotency keys and optimistic concurrency", async () => {
    const { project, image, user } = await seedProject("delta");
    const label = await db.prisma.labelClass.findFirstOrThrow({
      where: { projectId: project.id, name: "cat" },
    });
    const mask = await db.prisma.mask.create({
      data: {
        projectId: project.id,
        imageId: image.id,
        labelClassId: label.id,
        rle: "3 5 2",
        rleChecksum: "f".repeat(64),
        bbox: [1.5, 2, 30, 40.25],
        area: 812,
        source: "ASSISTED",
        stage: 1,
        predictedIou: 0.93,
        prompts: { points: [[10, 20]], labels: [1] },
        cropBox: [],
        authorId: user.id,
        idempotencyKey: "gen:job1:img1:0",
      },
    });
    expect(mask.version).toBe(1);
    expect(mask.status).toBe(MaskStatus.PROPOSED);
    expect(mask.bbox).toEqual([1.5, 2, 30, 40.25]);
    expect(mask.prompts).toEqual({ points: [[10, 20]], labels: [1] });

    const replay = await db.prisma.mask
      .create({
        data: {
          projectId: project.id,
          imageId: image.id,
          rle: "1",
          rleChecksum: "e".repeat(64),
          bbox: [0, 0, 1, 1],
          area: 1,
          source: "AUTO",
          stage: 3,
          idempotencyKey: "gen:job1:img1:0",
        },
      })
      .catch((e: unknown) => e);
    expect(uniqueViolation(replay)).toBe(true);

    // Optimistic concurrency: a write names the version it read and bumps it.
    const first = await db.prisma.mask.updateMany({
      where: { id: mask.id, version: 1 },
      data: { status: MaskStatus.ACCEPTED, reviewerId: user.id, version: { increment: 1 } },
    });
    const stale = await db.prisma.mask.updateMany({
      where: { id: mask.id, version: 1 },
      data: { status: MaskStatus.REJECTED, version: { increment: 1 } },
    });
    expect(first.count).toBe(1);
    expect(stale.count).toBe(0);
    const current = await db.prisma.mask.findUniqueOrThrow({ where: { id: mask.id } });
    expect(current.status).toBe(MaskStatus.ACCEPTED);
    expect(current.version).toBe(2);
  });

  it("runs interactive transactions and rolls them back on error", async () => {
    const { project } = await seedProject("epsilon");
    await expect(
      db.prisma.$transaction(async (tx) => {
        await tx.labelClass.create({ data: { projectId: project.id, name: "tmp", color: "#123456" } });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await db.prisma.labelClass.count({ where: { projectId: project.id, name: "tmp" } })).toBe(0);
    await db.prisma.$transaction(async (tx) => {
      await tx.labelClass.create({ data: { projectId: project.id, name: "kept", color: "#123456" } });
    });
    expect(await db.prisma.labelClass.count({ where: { projectId: project.id, name: "kept" } })).toBe(1);
  });

  it("cascades a project deletion and keeps audit ids as BigInt", async () => {
    const { project, image, user } = await seedProject("zeta");
    await db.prisma.mask.create({
      data: {
        projectId: project.id,
        imageId: image.id,
        rle: "1",
        rleChecksum: "d".repeat(64),
        bbox: [0, 0, 1, 1],
        area: 1,
        source: "MANUAL",
        stage: 1,
        cropBox: [0, 0, 640, 480],
      },
    });
    const a = await db.prisma.auditLog.create({
      data: {
        actorId: user.id,
        projectId: project.id,
        action: "project.create",
        entityType: "Project",
        entityId: project.id,
      },
    });
    const b = await db.prisma.auditLog.create({ data: { action: "user.create", entityType: "User" } });
    expect(typeof a.id).toBe("bigint");
    expect(b.id).toBeGreaterThan(a.id);

    await db.prisma.project.delete({ where: { id: project.id } });
    expect(await db.prisma.image.count({ where: { projectId: project.id } })).toBe(0);
    expect(await db.prisma.mask.count({ where: { projectId: project.id } })).toBe(0);
    expect(await db.prisma.labelClass.count({ where: { projectId: project.id } })).toBe(0);
    expect(await db.prisma.auditLog.count({ where: { id: a.id } })).toBe(0);
    expect(await db.prisma.user.count({ where: { id: user.id } })).toBe(1);
  });
});
