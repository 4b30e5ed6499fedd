// generate.start: what it asks the worker to queue, the audit entry, and the worker's refusal of bad
// parameters coming back as BAD_REQUEST with the worker's message.
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { fx, t, useApiWorld } from "./support/api-world.ts";

useApiWorld();

describe("generate.start", () => {
  it("queues a GENERATE job for the project with the chosen mode and preset, and audits it", async () => {
    const caller = await t.callerFor(fx.admin);
    const before = t.enqueued.length;
    const { jobId } = await caller.generate.start({ projectId: fx.projectId, mode: "auto", preset: "sa1b", amg: { pointsPerSide: 16 } });
    expect(t.enqueued.slice(before)).toEqual([
      {
        type: "GENERATE",
        projectId: fx.projectId,
        createdById: fx.admin,
        params: { mode: "auto", preset: "sa1b", imageIds: undefined, statuses: undefined, amg: { pointsPerSide: 16 } },
      },
    ]);
    const audit = await t.runtime.prisma.auditLog.findFirstOrThrow({ where: { action: "generate.start", entityId: jobId } });
    expect(audit).toMatchObject({ actorId: fx.admin, projectId: fx.projectId, entityType: "Job" });
  });

  it("defaults to review mode and passes the worker's validation message back as BAD_REQUEST", async () => {
    const caller = await t.callerFor(fx.admin);
    const before = t.enqueued.length;
    await caller.generate.start({ projectId: fx.projectId });
    expect(t.enqueued[before]!.params).toMatchObject({ mode: "review" });

    const enqueue = t.runtime.jobs.enqueue;
    t.runtime.jobs.enqueue = async () => {
      throw Object.assign(new Error("Invalid GENERATE job parameters: amg.pointsPerSide: Too small: expected number to be >=1"), { name: "JobParamsError" });
    };
    try {
      const error = await caller.generate.start({ projectId: fx.projectId, amg: { pointsPerSide: 0 } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("BAD_REQUEST");
      expect((error as TRPCError).message).toMatch(/amg\.pointsPerSide/);
    } finally {
      t.runtime.jobs.enqueue = enqueue;
    }
    await expect(caller.generate.start({ projectId: fx.projectId, mode: "everything" as never })).rejects.toThrow(/mode/);
  });
});
