import { publicProcedure, router } from "../trpc/init.ts";

export const healthRouter = router({
  // Deliberately reveals nothing but liveness: anonymous callers can reach it.
  check: publicProcedure.query(async ({ ctx }) => {
    await ctx.prisma.$queryRawUnsafe("SELECT 1");
    return { ok: true as const };
  }),
});
