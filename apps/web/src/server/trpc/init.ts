// The procedure builders. Every access rule is enforced here on the server; pages only hide what a
// user cannot do.
import { TRPCError, initTRPC } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import { effectiveProjectRole, roleAtLeast, type RoleName } from "../domain.ts";
import type { Context } from "./context.ts";

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        // Field-level messages for forms when zod rejected the input.
        zodIssues: cause instanceof z.ZodError ? cause.issues.map((i) => ({ path: i.path.join("."), message: i.message })) : null,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Only for what anonymous visitors may see (health). */
export const publicProcedure = t.procedure;

export const authedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== "ADMIN") throw new TRPCError({ code: "FORBIDDEN", message: "Only administrators can do this" });
  return next();
});

export const projectInput = z.object({ projectId: z.string().min(1, "projectId is required") });

/**
 * Procedures acting inside one project: the input carries `projectId`; the caller must be a member with
 * at least `minRole` (the lesser of project and global role counts). Global ADMINs pass everywhere.
 * Non-members get FORBIDDEN whether or not the project exists, so ids reveal nothing.
 */
export function projectProcedure(minRole: RoleName) {
  return authedProcedure.input(projectInput).use(async ({ ctx, input, next }) => {
    const { projectId } = input;
    if (ctx.user.role === "ADMIN") {
      const project = await ctx.prisma.project.findUnique({ where: { id: projectId }, select: { id: true } });
      if (!project) throw new TRPCError({ code: "NOT_FOUND", message: `Project ${projectId} does not exist` });
      return next({ ctx: { ...ctx, projectId, projectRole: "ADMIN" as RoleName } });
    }
    const member = await ctx.prisma.projectMember.findUnique({
      where: { projectId_userId: { projectId, userId: ctx.user.id } },
      select: { role: true },
    });
    if (!member) throw new TRPCError({ code: "FORBIDDEN", message: "You are not a member of this project" });
    const role = effectiveProjectRole(ctx.user.role, member.role);
    if (!roleAtLeast(role, minRole)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${minRole} role in the project (you are ${role})` });
    }
    return next({ ctx: { ...ctx, projectId, projectRole: role } });
  });
}

/** Admin-only procedures that act on one project (input carries `projectId`, which must exist). */
export const adminProjectProcedure = adminProcedure.input(projectInput).use(async ({ ctx, input, next }) => {
  const project = await ctx.prisma.project.findUnique({ where: { id: input.projectId }, select: { id: true } });
  if (!project) throw new TRPCError({ code: "NOT_FOUND", message: `Project ${input.projectId} does not exist` });
  return next({ ctx: { ...ctx, projectId: input.projectId, projectRole: "ADMIN" as RoleName } });
});
