import { authedProcedure, router } from "../trpc/init.ts";

export const meRouter = router({
  /** The signed-in user with their project memberships (what the navigation needs). */
  get: authedProcedure.query(async ({ ctx }) => {
    const memberships = await ctx.prisma.projectMember.findMany({
      where: { userId: ctx.user.id, project: { archivedAt: null } },
      select: { projectId: true, role: true, project: { select: { name: true } } },
      orderBy: { createdAt: "asc" },
    });
    return {
      ...ctx.user,
      memberships: memberships.map((m) => ({ projectId: m.projectId, projectName: m.project.name, role: m.role })),
    };
  }),
});
