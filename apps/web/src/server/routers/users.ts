import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../audit.ts";
import { ROLES } from "../domain.ts";
import { isUniqueViolation } from "../trpc/errors.ts";
import { adminProcedure, router } from "../trpc/init.ts";
import type { Context } from "../trpc/context.ts";

export const MIN_PASSWORD_LENGTH = 8;

const userSelect = { id: true, email: true, name: true, role: true, disabled: true, createdAt: true } as const;

/** Refuses changes that would leave the installation without an enabled administrator. */
async function assertAnotherAdminRemains(ctx: Context, userId: string): Promise<void> {
  const others = await ctx.prisma.user.count({ where: { role: "ADMIN", disabled: false, id: { not: userId } } });
  if (others === 0) throw new TRPCError({ code: "BAD_REQUEST", message: "This is the last enabled administrator; promote another user first" });
}

export const usersRouter = router({
  list: adminProcedure.query(({ ctx }) =>
    ctx.prisma.user.findMany({
      select: { ...userSelect, passwordHash: false, _count: { select: { memberships: true } } },
      orderBy: { createdAt: "asc" },
    }),
  ),

  create: adminProcedure
    .input(
      z.object({
        email: z.string().trim().toLowerCase().pipe(z.email("email is not a valid address")),
        name: z.string().trim().max(120).optional(),
        password: z.string().min(MIN_PASSWORD_LENGTH, `password must have at least ${MIN_PASSWORD_LENGTH} characters`).max(200),
        role: z.enum(ROLES).default("ANNOTATOR"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const passwordHash = await ctx.runtime.passwords.hash(input.password);
      try {
        const user = await ctx.prisma.user.create({
          data: { email: input.email, name: input.name || null, passwordHash, role: input.role },
          select: userSelect,
        });
        await recordAudit(ctx.prisma, {
          actorId: ctx.user.id, action: "user.create", entityType: "User", entityId: user.id, data: { email: user.email, role: user.role },
        });
        return user;
      } catch (err) {
        if (isUniqueViolation(err)) throw new TRPCError({ code: "CONFLICT", message: `A user with email ${input.email} already exists` });
        throw err;
      }
    }),

  setRole: adminProcedure
    .input(z.object({ userId: z.string().min(1), role: z.enum(ROLES) }))
    .mutation(async ({ ctx, input }) => {
      const existing = await ctx.prisma.user.findUnique({ where: { id: input.userId }, select: userSelect });
      if (!existing) throw new TRPCError({ code: "NOT_FOUND", message: `User ${input.userId} does not exist` });
      if (existing.role === "ADMIN" && input.role !== "ADMIN") await assertAnotherAdminRemains(ctx, existing.id);
      const user = await ctx.prisma.user.update({ where: { id: existing.id }, data: { role: input.role }, select: userSelect });
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, action: "user.setRole", entityType: "User", entityId: user.id, data: { from: existing.role, to: user.role },
      });
      return user;
    }),

  /** Disabled users cannot sign in, and their existing sessions stop working at the next request. */
  setDisabled: adminProcedure
    .input(z.object({ userId: z.string().min(1), disabled: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      const existing = await ctx.prisma.user.findUnique({ where: { id: input.userId }, select: userSelect });
      if (!existing) throw new TRPCError({ code: "NOT_FOUND", message: `User ${input.userId} does not exist` });
      if (input.disabled && existing.id === ctx.user.id) throw new TRPCError({ code: "BAD_REQUEST", message: "You cannot disable your own account" });
      if (input.disabled && existing.role === "ADMIN") await assertAnotherAdminRemains(ctx, existing.id);
      const user = await ctx.prisma.user.update({ where: { id: existing.id }, data: { disabled: input.disabled }, select: userSelect });
      await recordAudit(ctx.prisma, {
        actorId: ctx.user.id, action: input.disabled ? "user.disable" : "user.enable", entityType: "User", entityId: user.id,
      });
      return user;
    }),
});
