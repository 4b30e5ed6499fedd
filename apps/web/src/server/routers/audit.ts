import { z } from "zod";
import { adminProcedure, router } from "../trpc/init.ts";

export const auditRouter = router({
  /** Newest first; page with `before` = the last id seen. */
  list: adminProcedure
    .input(z.object({
      projectId: z.string().min(1).optional(),
      entityType: z.string().min(1).optional(),
      entityId: z.string().min(1).optional(),
      before: z.bigint().optional(),
      limit: z.number().int().min(1).max(500).default(100),
    }).default({ limit: 100 }))
    .query(({ ctx, input }) =>
      ctx.prisma.auditLog.findMany({
        where: {
          ...(input.projectId ? { projectId: input.projectId } : {}),
          ...(input.entityType ? { entityType: input.entityType } : {}),
          ...(input.entityId ? { entityId: input.entityId } : {}),
          ...(input.before !== undefined ? { id: { lt: input.before } } : {}),
        },
        orderBy: { id: "desc" },
        take: input.limit,
        include: { actor: { select: { id: true, email: true } } },
      }),
    ),
});
