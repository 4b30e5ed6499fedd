import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../audit.ts";
import { IMAGE_STATUSES, MASK_STATUSES, ROLES, ROLE_RANK } from "../domain.ts";
import { isUniqueViolation, notFound } from "../trpc/errors.ts";
import { adminProcedure, adminProjectProcedure, authedProcedure, projectProcedure, router } from "../trpc/init.ts";

const name = z.string().trim().min(1, "name must not be empty").max(120, "name is at most 120 characters");
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'color must look like "#1f77b4"');
const settings = z.record(z.string(), z.unknown());

export function slugify(text: string): string {
  const slug = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  return slug || "project";
}

const labelsRouter = router({
  list: projectProcedure("ANNOTATOR")
    .input(z.object({ includeArchived: z.boolean().default(false) }))
    .query(({ ctx, input }) =>
      ctx.prisma.labelClass.findMany({
        where: { projectId: ctx.projectId, ...(input.includeArchived ? {} : { archivedAt: null }) },
        orderBy: [{ sortOrder: "asc" }, { name: "asc" }],
      }),
    ),
  create: adminProjectProcedure
    .input(z.object({ name, color, sortOrder: z.number().int().default(0) }))
    .mutation(async ({ ctx, input }) => {
      try {
        const label = await ctx.prisma.labelClass.create({
          data: { projectId: ctx.projectId, name: input.name, color: input.color.toLowerCase(), sortOrder: input.sortOrder },
        });
        await recordAudit(ctx.prisma, {
          actorId: ctx.user.id, projectId: ctx.projectId, action: "label.create", entityType: "LabelClass",
          entityId: label.id, data: { name: label.name, color: label.color },
        });
        return label;
      } catch (err) {
        if (isUniqueViolation(err)) throw new TRPCError({ code: "CONFLICT", message: `A label named "${input.name}" already exists in this project` });
        throw err;
      }
    }),
  update: adminProjectProcedure
    .input(z.object({ labelClassId: z.string().min(1), name: name.optional(), color: color.optional(), sortOrder: z.number().int().optional() }))
    .mutation(async ({ ctx, input }) => {
      const existing = await ctx.prisma.labelClass.findFirst({ where: { id: input.labelClassId, projectId: ctx.projectId } });
      if (!existing) throw notFound("Label class", input.labelClassId);
      try {
        const label = await ctx.prisma.labelClass.update({
          where: { id: existing.id },
          data: { name: input.name, color: input.color?.toLowerCase(), sortOrder: input.sortOrder },
        });
        await recordAudit(ctx.prisma, {
          actorId: ctx.user.id, projectId: ctx.projectId, action: "label.update", entityType: "LabelClass",
          entityId: label.id, data: { before: { name: existing.name, color: existing.color }, after: { name: label.name, color: label.color } },
        });
        return label;
      } catch (err) {
        if (isUniqueViolation(err)) throw new TRPCError({ code: "CONFLICT", message: `A label named "${input.name}" already exists in this project` });
        throw err;
      }
    }),
  /** Archived labels stay on existing masks but are no longer offered for new ones. */
  archive: adminProjectProcedure
    .input(z.object({ labelClassId: z.string().min(1), archived: z.boolean().default(true) }))
    .mutation(async ({ ctx, input }) => {
      const existing = await ctx.prisma.labelClass.findFirst({ where: { id: input.labelClassId, projectId: ctx.projectId } });
      if (!existing) throw notFound("Label class", input.labelClassId);
      const label = await ctx.prisma.labelClass.update({
        where: { id: existing.id },
        data: { archivedAt: input.archived ? (existing.archivedAt ?? new Date()) : null },
      });
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: ctx.projectId, action: input.archived ? "label.archive" : "label.restore",
        entityType: "LabelClass", entityId: label.id,
      });
      return label;
    }),
});

const membersRouter = router({
  list: projectProcedure("REVIEWER").query(async ({ ctx }) => {
    const members = await ctx.prisma.projectMember.findMany({
      where: { projectId: ctx.projectId },
      select: { role: true, createdAt: true, user: { select: { id: true, email: true, name: true, role: true, disabled: true } } },
      orderBy: { createdAt: "asc" },
    });
    return members.map((m) => ({ ...m.user, globalRole: m.user.role, role: m.role, since: m.createdAt }));
  }),
  add: adminProjectProcedure
    .input(z.object({ userId: z.string().min(1), role: z.enum(ROLES) }))
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.prisma.user.findUnique({ where: { id: input.userId }, select: { id: true, role: true, email: true } });
      if (!user) throw new TRPCError({ code: "NOT_FOUND", message: `User ${input.userId} does not exist` });
      assertRoleWithinGlobal(input.role, user.role, user.email);
      const member = await ctx.prisma.projectMember.upsert({
        where: { projectId_userId: { projectId: ctx.projectId, userId: user.id } },
        create: { projectId: ctx.projectId, userId: user.id, role: input.role },
        update: { role: input.role },
      });
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: ctx.projectId, action: "member.add", entityType: "User", entityId: user.id, data: { role: input.role },
      });
      return member;
    }),
  setRole: adminProjectProcedure
    .input(z.object({ userId: z.string().min(1), role: z.enum(ROLES) }))
    .mutation(async ({ ctx, input }) => {
      const member = await ctx.prisma.projectMember.findUnique({
        where: { projectId_userId: { projectId: ctx.projectId, userId: input.userId } },
        include: { user: { select: { role: true, email: true } } },
      });
      if (!member) throw new TRPCError({ code: "NOT_FOUND", message: `User ${input.userId} is not a member of this project` });
      assertRoleWithinGlobal(input.role, member.user.role, member.user.email);
      const updated = await ctx.prisma.projectMember.update({
        where: { projectId_userId: { projectId: ctx.projectId, userId: input.userId } },
        data: { role: input.role },
      });
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: ctx.projectId, action: "member.setRole", entityType: "User", entityId: input.userId,
        data: { from: member.role, to: input.role },
      });
      return updated;
    }),
  remove: adminProjectProcedure.input(z.object({ userId: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    const { count } = await ctx.prisma.projectMember.deleteMany({ where: { projectId: ctx.projectId, userId: input.userId } });
    if (count === 0) throw new TRPCError({ code: "NOT_FOUND", message: `User ${input.userId} is not a member of this project` });
    await recordAudit(ctx.prisma, {
      actorId: ctx.user.id, projectId: ctx.projectId, action: "member.remove", entityType: "User", entityId: input.userId,
    });
    return { removed: true };
  }),
});

function assertRoleWithinGlobal(role: (typeof ROLES)[number], globalRole: (typeof ROLES)[number], email: string): void {
  if (ROLE_RANK[role] > ROLE_RANK[globalRole]) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `${email} is a ${globalRole}; a project role cannot exceed the user's global role (asked for ${role})`,
    });
  }
}

export const projectsRouter = router({
  /** Projects the caller belongs to (administrators: every project). */
  list: authedProcedure
    .input(z.object({ includeArchived: z.boolean().default(false) }).default({ includeArchived: false }))
    .query(async ({ ctx, input }) => {
      const isAdmin = ctx.user.role === "ADMIN";
      const projects = await ctx.prisma.project.findMany({
        where: {
          ...(isAdmin ? {} : { members: { some: { userId: ctx.user.id } } }),
          ...(input.includeArchived ? {} : { archivedAt: null }),
        },
        orderBy: { createdAt: "asc" },
        include: {
          _count: { select: { images: true, masks: true } },
          members: { where: { userId: ctx.user.id }, select: { role: true } },
        },
      });
      return projects.map(({ members, _count, ...p }) => ({
        ...p,
        imageCount: _count.images,
        maskCount: _count.masks,
        myRole: isAdmin ? ("ADMIN" as const) : (members[0]?.role ?? null),
      }));
    }),

  /** A project with its labels, image counts per status and mask counts per stage and status. */
  get: projectProcedure("ANNOTATOR").query(async ({ ctx }) => {
    const project = await ctx.prisma.project.findUnique({
      where: { id: ctx.projectId },
      include: {
        labelClasses: { where: { archivedAt: null }, orderBy: [{ sortOrder: "asc" }, { name: "asc" }] },
        activeModelVersion: { select: { id: true, name: true, architecture: true } },
      },
    });
    if (!project) throw new TRPCError({ code: "NOT_FOUND", message: `Project ${ctx.projectId} does not exist` });
    const [byStatus, byStage] = await Promise.all([
      ctx.prisma.image.groupBy({ by: ["status"], where: { projectId: ctx.projectId }, _count: { _all: true } }),
      ctx.prisma.mask.groupBy({ by: ["stage", "status"], where: { projectId: ctx.projectId }, _count: { _all: true } }),
    ]);
    const imageCounts = Object.fromEntries(IMAGE_STATUSES.map((s) => [s, 0])) as Record<(typeof IMAGE_STATUSES)[number], number>;
    for (const row of byStatus) imageCounts[row.status] = row._count._all;
    const maskStages = [1, 2, 3].map((stage) => {
      const counts = Object.fromEntries(MASK_STATUSES.map((s) => [s, 0])) as Record<(typeof MASK_STATUSES)[number], number>;
      for (const row of byStage) if (row.stage === stage) counts[row.status] = row._count._all;
      return { stage, counts };
    });
    return { ...project, myRole: ctx.projectRole, imageCounts, maskStages };
  }),

  create: adminProcedure
    .input(z.object({ name, description: z.string().max(2000).optional(), slug: z.string().regex(/^[a-z0-9-]{1,60}$/, "slug: lowercase letters, digits and -").optional(), settings: settings.optional() }))
    .mutation(async ({ ctx, input }) => {
      const base = input.slug ?? slugify(input.name);
      // Derived slugs get a numeric suffix when taken; an explicit slug must be free.
      for (let n = 1; n < 100; n++) {
        const slug = n === 1 ? base : `${base}-${n}`;
        try {
          const project = await ctx.prisma.project.create({
            data: {
              name: input.name, slug, description: input.description, createdById: ctx.user.id,
              settings: JSON.parse(JSON.stringify(input.settings ?? {})),
              members: { create: { userId: ctx.user.id, role: "ADMIN" } },
            },
          });
          await recordAudit(ctx.prisma, {
            actorId: ctx.user.id, projectId: project.id, action: "project.create", entityType: "Project", entityId: project.id,
            data: { name: project.name, slug },
          });
          return project;
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          if (input.slug) throw new TRPCError({ code: "CONFLICT", message: `The slug "${input.slug}" is already used by another project` });
        }
      }
      throw new TRPCError({ code: "CONFLICT", message: `Could not find a free slug for "${input.name}"` });
    }),

  update: adminProjectProcedure
    .input(z.object({ name: name.optional(), description: z.string().max(2000).nullable().optional(), settings: settings.optional() }))
    .mutation(async ({ ctx, input }) => {
      const project = await ctx.prisma.project.update({
        where: { id: ctx.projectId },
        data: {
          name: input.name,
          description: input.description,
          settings: input.settings === undefined ? undefined : JSON.parse(JSON.stringify(input.settings)),
        },
      });
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, projectId: project.id, action: "project.update", entityType: "Project", entityId: project.id,
        data: { fields: Object.keys(input).filter((k) => k !== "projectId" && input[k as keyof typeof input] !== undefined) },
      });
      return project;
    }),

  archive: adminProjectProcedure.input(z.object({ archived: z.boolean().default(true) })).mutation(async ({ ctx, input }) => {
    const existing = await ctx.prisma.project.findUniqueOrThrow({ where: { id: ctx.projectId }, select: { archivedAt: true } });
    const project = await ctx.prisma.project.update({
      where: { id: ctx.projectId },
      data: { archivedAt: input.archived ? (existing.archivedAt ?? new Date()) : null },
    });
    await recordAudit(ctx.prisma, {
      actorId: ctx.user.id, projectId: project.id, action: input.archived ? "project.archive" : "project.restore",
      entityType: "Project", entityId: project.id,
    });
    return project;
  }),

  labels: labelsRouter,
  members: membersRouter,
});
