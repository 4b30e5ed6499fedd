// A web runtime over a fresh in-memory database, for API tests: real Prisma client and migrations, real
// password hashing, real local storage and URL signer; the worker's job control is a recording stand-in
// that writes the Job rows the real one would (the queue itself is the worker's to test); model
// registration is the worker's real one.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { hashPassword, verifyPassword } from "@data-engine/db";
import { createTestDatabase } from "@data-engine/db/testing";
import { LocalStorage, createLocalUrlSigner } from "@data-engine/storage";
import { mintSessionToken } from "../../src/server/auth/session-cookie.ts";
import { createModelRegistry } from "../../src/server/bootstrap/model-registry.ts";
import { createCaller } from "../../src/server/router.ts";
import { createContext } from "../../src/server/trpc/context.ts";
import type { EnqueueRequest, WebRuntime } from "../../src/server/runtime.ts";
import { promoteCandidate, promotionCheck, rollbackModel } from "@data-engine/worker";
import { describeCocoRle } from "./coco-rle.ts";

export interface TestRuntime {
  runtime: WebRuntime;
  enqueued: EnqueueRequest[];
  /** A tRPC caller acting with a real session cookie for `userId` (none: anonymous). */
  callerFor(userId: string | null, cookieOverride?: string): Promise<ReturnType<typeof createCaller>>;
  /** The Cookie header of a fresh session for `userId`, as the browser would send it. */
  cookieFor(userId: string): Promise<string>;
  close(): Promise<void>;
}

export const TEST_SECRET = "test-secret-0123456789abcdef0123456789";

export async function createTestRuntime(): Promise<TestRuntime> {
  // PGlite in memory, or a throwaway PostgreSQL database with TEST_DATABASE=postgres.
  const db = await createTestDatabase();
  const dir = await mkdtemp(path.join(os.tmpdir(), "web-test-"));
  const prisma = db.prisma;
  const enqueued: EnqueueRequest[] = [];
  const storage = new LocalStorage({ root: path.join(dir, "files") });
  const runtime: WebRuntime = {
    prisma,
    storage,
    urlSigner: createLocalUrlSigner("file-url-secret-for-tests-0123456789"),
    jobs: {
      async enqueue(request) {
        enqueued.push(request);
        return prisma.job.create({
          data: {
            type: request.type, projectId: request.projectId ?? null, params: JSON.parse(JSON.stringify(request.params ?? {})),
            createdById: request.createdById ?? null, priority: request.priority ?? 0,
          },
        });
      },
      cancel: (jobId) => prisma.job.update({ where: { id: jobId }, data: { status: "CANCELLED", cancelRequestedAt: new Date() } }),
      retry: (jobId) => prisma.job.update({ where: { id: jobId }, data: { status: "QUEUED", error: null } }),
      async activateModel({ projectId, modelVersionId }) {
        await prisma.project.update({ where: { id: projectId }, data: { activeModelVersionId: modelVersionId } });
        await prisma.modelVersion.update({ where: { id: modelVersionId }, data: { status: "ACTIVE" } });
        return { embedJob: null };
      },
      // The worker's real promotion rules over this database (no queue here: nothing is embedded).
      promoteModel: (request) => promoteCandidate({ prisma, storage } as never, { ...request, embed: false }),
      rollbackModel: (request) => rollbackModel({ prisma, storage } as never, { ...request, embed: false }),
      promotionCheck: (candidate, activeId) => promotionCheck(candidate as never, activeId),
    },
    passwords: { hash: hashPassword, verify: verifyPassword },
    maskGeometry: { describe: describeCocoRle },
    authSecret: TEST_SECRET,
    oidc: null,
    ortDistDir: dir,
    // The worker's real model registration (it only needs the database and storage).
    models: createModelRegistry({ prisma, storage }),
    uploadDir: path.join(dir, "uploads"),
  };
  return {
    runtime,
    enqueued,
    async callerFor(userId, cookieOverride) {
      const headers = new Headers();
      if (cookieOverride !== undefined) headers.set("cookie", cookieOverride);
      else if (userId) headers.set("cookie", `next-auth.session-token=${await mintSessionToken(userId, TEST_SECRET)}`);
      return createCaller(await createContext(runtime, headers));
    },
    async cookieFor(userId) {
      return `next-auth.session-token=${await mintSessionToken(userId, TEST_SECRET)}`;
    },
    async close() {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
