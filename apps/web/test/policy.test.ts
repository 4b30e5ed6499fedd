// Walks every procedure of the API as every kind of caller and checks the outcome against the policy
// table below. The table is written by hand from the product's access rules; the list of procedures is
// read from the router itself, so a new procedure without a row here fails the test.
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { appRouter } from "../src/server/router.ts";
import { createMask, IMAGE_H, IMAGE_W, type Fixture } from "./support/fixture.ts";
import { rectangleRle } from "./support/coco-rle.ts";
import { fx, t, useApiWorld } from "./support/api-world.ts";
import { tinyModelFiles } from "./support/model-files.ts";
import type { TestRuntime } from "./support/test-runtime.ts";

type Role = "ADMIN" | "REVIEWER" | "ANNOTATOR";
/** public: anyone; authed: any signed-in user; admin: global ADMIN; project: members with at least that role. */
type Access = "public" | "authed" | "admin" | { project: Role };
type Input = (fx: Fixture, t: TestRuntime) => Promise<unknown> | unknown;

const P = (fx: Fixture) => ({ projectId: fx.projectId });
const freshUser = async (t: TestRuntime, role: Role = "ANNOTATOR") =>
  (await t.runtime.prisma.user.create({ data: { email: `${randomUUID()}@example.test`, role } })).id;
const freshMask = (fx: Fixture, t: TestRuntime) => createMask(t, { projectId: fx.projectId, imageId: fx.imageId });

/**
 * A project of its own whose active model has a parent (so it can be rolled back) and a round's candidate
 * that beat it (so it can be promoted): promote / rollback by an admin succeed without touching the fixture.
 */
async function trainingProject(t: TestRuntime) {
  const db = t.runtime.prisma;
  const model = (name: string, extra: Record<string, unknown> = {}) =>
    db.modelVersion.create({ data: { name, architecture: "tiny", source: "BUILT", encoderKey: "models/x/encoder.onnx", decoderKey: "models/x/decoder.onnx", ...extra } });
  const base = await model("base");
  const active = await model("active", { parentId: base.id, source: "TRAINED", status: "ACTIVE", trainingRound: 1 });
  const candidate = await model("candidate", { parentId: active.id, source: "TRAINED", trainingRound: 2, metrics: { beatsBase: true } });
  const project = await db.project.create({ data: { name: `training ${randomUUID().slice(0, 8)}`, slug: `training-${randomUUID().slice(0, 8)}`, activeModelVersionId: active.id } });
  return { projectId: project.id, candidateId: candidate.id };
}

const POLICY: Record<string, { access: Access; input?: Input }> = {
  "health.check": { access: "public" },
  "me.get": { access: "authed" },

  "projects.list": { access: "authed", input: () => ({}) },
  "projects.get": { access: { project: "ANNOTATOR" }, input: P },
  "projects.create": { access: "admin", input: () => ({ name: `Project ${randomUUID().slice(0, 8)}` }) },
  "projects.update": { access: "admin", input: (fx) => ({ ...P(fx), description: "updated" }) },
  "projects.archive": { access: "admin", input: (fx) => ({ ...P(fx), archived: false }) },
  "projects.labels.list": { access: { project: "ANNOTATOR" }, input: P },
  "projects.labels.create": { access: "admin", input: (fx) => ({ ...P(fx), name: `label-${randomUUID().slice(0, 8)}`, color: "#00ff00" }) },
  "projects.labels.update": { access: "admin", input: (fx) => ({ ...P(fx), labelClassId: fx.labelId, color: "#ff0000" }) },
  "projects.labels.archive": { access: "admin", input: (fx) => ({ ...P(fx), labelClassId: fx.labelId, archived: false }) },
  "projects.members.list": { access: { project: "REVIEWER" }, input: P },
  "projects.members.add": { access: "admin", input: async (fx, t) => ({ ...P(fx), userId: await freshUser(t), role: "ANNOTATOR" }) },
  "projects.members.setRole": {
    access: "admin",
    input: async (fx, t) => {
      const userId = await freshUser(t, "REVIEWER");
      await t.runtime.prisma.projectMember.create({ data: { projectId: fx.projectId, userId, role: "ANNOTATOR" } });
      return { ...P(fx), userId, role: "REVIEWER" };
    },
  },
  "projects.members.remove": {
    access: "admin",
    input: async (fx, t) => {
      const userId = await freshUser(t);
      await t.runtime.prisma.projectMember.create({ data: { projectId: fx.projectId, userId } });
      return { ...P(fx), userId };
    },
  },

  "users.list": { access: "admin" },
  "users.create": { access: "admin", input: () => ({ email: `${randomUUID()}@example.test`, password: "long enough pw", role: "ANNOTATOR" }) },
  "users.setRole": { access: "admin", input: async (_fx, t) => ({ userId: await freshUser(t), role: "REVIEWER" }) },
  "users.setDisabled": { access: "admin", input: async (_fx, t) => ({ userId: await freshUser(t), disabled: true }) },

  "images.list": { access: { project: "ANNOTATOR" }, input: P },
  "images.get": { access: { project: "ANNOTATOR" }, input: (fx) => ({ ...P(fx), imageId: fx.imageId }) },
  "images.requestEmbedding": { access: { project: "ANNOTATOR" }, input: (fx) => ({ ...P(fx), imageId: fx.imageId }) },
  "images.decoder": { access: { project: "ANNOTATOR" }, input: P },
  "images.embedding": { access: { project: "ANNOTATOR" }, input: (fx) => ({ ...P(fx), imageId: fx.imageId }) },
  "images.neighbors": { access: { project: "ANNOTATOR" }, input: (fx) => ({ ...P(fx), imageId: fx.imageId }) },
  "images.setStatus": { access: { project: "ANNOTATOR" }, input: (fx) => ({ ...P(fx), imageId: fx.imageId, status: "IN_PROGRESS" }) },

  "ingest.start": { access: "admin", input: (fx) => ({ ...P(fx), source: { kind: "folder", path: "/srv/images" } }) },
  "ingest.get": { access: "admin", input: async (fx, t) => ({ ...P(fx), jobId: (await t.runtime.prisma.job.create({ data: { projectId: fx.projectId, type: "INGEST" } })).id }) },
  "ingest.list": { access: "admin", input: P },

  "masks.list": { access: { project: "ANNOTATOR" }, input: (fx) => ({ ...P(fx), imageId: fx.imageId }) },
  "masks.create": {
    access: { project: "ANNOTATOR" },
    input: (fx) => ({ ...P(fx), imageId: fx.imageId, labelClassId: fx.labelId, rle: rectangleRle(IMAGE_H, IMAGE_W, [0, 0, 2, 2]) }),
  },
  "masks.update": {
    access: { project: "ANNOTATOR" },
    input: async (fx, t) => ({ ...P(fx), maskId: (await freshMask(fx, t)).id, expectedVersion: 1, labelClassId: fx.labelId }),
  },
  "masks.delete": { access: { project: "ANNOTATOR" }, input: async (fx, t) => ({ ...P(fx), maskId: (await freshMask(fx, t)).id, expectedVersion: 1 }) },

  "review.queue": { access: { project: "REVIEWER" }, input: P },
  "review.decide": {
    access: { project: "REVIEWER" },
    input: async (fx, t) => ({ ...P(fx), maskId: (await freshMask(fx, t)).id, expectedVersion: 1, action: "ACCEPT" }),
  },
  "review.batchAccept": { access: { project: "REVIEWER" }, input: (fx) => ({ ...P(fx), threshold: 0.99 }) },
  "review.history": { access: { project: "REVIEWER" }, input: (fx) => ({ ...P(fx), maskId: fx.maskId }) },

  "jobs.list": { access: "authed", input: () => ({}) },
  // A job is visible to the members of its project.
  "jobs.get": { access: { project: "ANNOTATOR" }, input: (fx) => ({ jobId: fx.jobId }) },
  "jobs.cancel": {
    access: "admin",
    input: async (fx, t) => ({ jobId: (await t.runtime.prisma.job.create({ data: { projectId: fx.projectId, type: "EMBED" } })).id }),
  },
  "jobs.retry": {
    access: "admin",
    input: async (fx, t) => ({ jobId: (await t.runtime.prisma.job.create({ data: { projectId: fx.projectId, type: "EMBED", status: "FAILED" } })).id }),
  },

  "models.list": { access: "authed", input: () => ({}) },
  "models.activate": { access: "admin", input: (fx) => ({ ...P(fx), modelVersionId: fx.modelId }) },
  "models.import": {
    access: "admin",
    input: async () => {
      const f = await tinyModelFiles();
      return { name: `imported ${randomUUID().slice(0, 8)}`, files: { from: "server", encoderPath: f.encoderPath, decoderPath: f.decoderPath } };
    },
  },
  "models.buildDemo": { access: "admin", input: () => ({ config: "tiny", seed: 3 }) },

  "exports.start": { access: "admin", input: (fx) => ({ ...P(fx), name: "export" }) },
  "generate.start": { access: "admin", input: (fx) => ({ ...P(fx), mode: "review" }) },
  "exports.list": { access: { project: "REVIEWER" }, input: P },
  "exports.downloadUrl": { access: { project: "REVIEWER" }, input: (fx) => ({ ...P(fx), datasetVersionId: fx.datasetId }) },
  "exports.pendingJobs": { access: { project: "REVIEWER" }, input: P },

  "dashboard.summary": { access: { project: "ANNOTATOR" }, input: P },

  "training.list": { access: "admin", input: P },
  "training.start": { access: "admin", input: (fx) => ({ ...P(fx), steps: 10 }) },
  "training.promote": { access: "admin", input: async (_fx, t) => { const p = await trainingProject(t); return { projectId: p.projectId, modelVersionId: p.candidateId }; } },
  "training.rollback": { access: "admin", input: async (_fx, t) => ({ projectId: (await trainingProject(t)).projectId }) },

  "audit.list": { access: "admin", input: () => ({}) },
};

const RANK: Record<Role, number> = { ANNOTATOR: 1, REVIEWER: 2, ADMIN: 3 };

interface Actor {
  name: string;
  userId: (fx: Fixture) => string | null;
  globalRole: Role | null;
  /** Role inside the fixture project, if a member. */
  projectRole: Role | null;
}

const ACTORS: Actor[] = [
  { name: "ADMIN", userId: (fx) => fx.admin, globalRole: "ADMIN", projectRole: null },
  { name: "REVIEWER", userId: (fx) => fx.reviewer, globalRole: "REVIEWER", projectRole: "REVIEWER" },
  { name: "ANNOTATOR", userId: (fx) => fx.annotator, globalRole: "ANNOTATOR", projectRole: "ANNOTATOR" },
  { name: "non-member", userId: (fx) => fx.outsider, globalRole: "REVIEWER", projectRole: null },
  { name: "anonymous", userId: () => null, globalRole: null, projectRole: null },
];

function allowed(access: Access, actor: Actor): boolean {
  if (access === "public") return true;
  if (actor.globalRole === null) return false;
  if (access === "authed") return true;
  if (actor.globalRole === "ADMIN") return true;
  if (access === "admin") return false;
  return actor.projectRole !== null && RANK[actor.projectRole] >= RANK[access.project];
}

function procedurePaths(): string[] {
  return Object.keys((appRouter._def as unknown as { procedures: Record<string, unknown> }).procedures).sort();
}

async function call(t: TestRuntime, userId: string | null, path: string, input: unknown): Promise<unknown> {
  let target: unknown = await t.callerFor(userId);
  for (const part of path.split(".")) target = (target as Record<string, unknown>)[part];
  return (target as (i: unknown) => Promise<unknown>)(input);
}

useApiWorld();

describe("access policy", () => {
  it("has a policy row for every procedure, and no row for a procedure that does not exist", () => {
    const paths = procedurePaths();
    expect(paths.length).toBeGreaterThan(40);
    expect(paths.filter((p) => !(p in POLICY))).toEqual([]);
    expect(Object.keys(POLICY).filter((p) => !paths.includes(p))).toEqual([]);
  });

  it("lets anonymous callers reach nothing but health", () => {
    const open = Object.entries(POLICY).filter(([, row]) => row.access === "public").map(([path]) => path);
    expect(open).toEqual(["health.check"]);
  });

  for (const actor of ACTORS) {
    it(`gives ${actor.name} exactly what the policy table says`, async () => {
      const mismatches: string[] = [];
      for (const path of procedurePaths()) {
        const row = POLICY[path];
        if (!row) continue; // reported by the completeness test
        const input = row.input ? await row.input(fx, t) : undefined;
        const expectAllowed = allowed(row.access, actor);
        let outcome: string;
        try {
          await call(t, actor.userId(fx), path, input);
          outcome = "ok";
        } catch (err) {
          outcome = err instanceof TRPCError ? err.code : `threw ${(err as Error).message}`;
          if (expectAllowed) outcome += `: ${(err as Error).message}`;
        }
        const expected = expectAllowed ? "ok" : actor.globalRole === null ? "UNAUTHORIZED" : "FORBIDDEN";
        if (!outcome.startsWith(expected)) mismatches.push(`${path}: expected ${expected}, got ${outcome}`);
      }
      expect(mismatches).toEqual([]);
    });
  }
});
