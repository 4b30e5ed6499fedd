// Review API under load: the real server (startServer, production build) on a fresh PostgreSQL
// database, reviewers signed in over HTTP through next-auth's credentials flow, deciding proposed masks
// through POST /api/trpc/review.decide. One reviewer (baseline), then N reviewers on one shared queue.
// Afterwards the database is checked against what the clients were told: every mask decided exactly
// once, one ReviewDecision per successful response, and each success recorded as that reviewer's.
//
//   npm run bench:review -w @data-engine/web -- [--masks 2000] [--baseline-masks 400] [--reviewers 20]
//       [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--keep]
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { hashPassword, openPostgresDatabase, type PrismaClient } from "@data-engine/db";
import { encodeMask } from "@data-engine/sam-core";
import { ensureBuild } from "../scripts/ensure-build.ts";
import { startServer } from "../src/server/bootstrap/start-server.ts";

class BenchError extends Error {
  override name = "BenchError";
}

const { values: args } = parseArgs({
  options: {
    masks: { type: "string", default: "2000" },
    "baseline-masks": { type: "string", default: "400" },
    reviewers: { type: "string", default: "20" },
    postgres: { type: "string", default: process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres" },
    keep: { type: "boolean", default: false },
  },
});

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new BenchError(`--${name} must be a positive integer, got "${raw}"`);
  return n;
}
const MASKS = positiveInt("masks", args.masks);
const BASELINE_MASKS = positiveInt("baseline-masks", args["baseline-masks"]);
const REVIEWERS = positiveInt("reviewers", args.reviewers);
const PASSWORD = "bench-reviewer-password";
const IMAGE_W = 64, IMAGE_H = 48;
const PAGE = 50;

// ---------------------------------------------------------------------------------------------------
// HTTP client: cookies, next-auth sign-in, tRPC over fetch (superjson envelope, no batching).

class Session {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string, readonly email: string) {}

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  absorb(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
  }

  async signIn(password: string): Promise<void> {
    const csrfRes = await fetch(`${this.base}/api/auth/csrf`, { headers: { cookie: this.header() } });
    this.absorb(csrfRes);
    const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
    const res = await fetch(`${this.base}/api/auth/callback/credentials`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: this.header() },
      body: new URLSearchParams({ csrfToken, email: this.email, password, json: "true", callbackUrl: `${this.base}/projects` }),
    });
    this.absorb(res);
    if (!this.cookies.has("next-auth.session-token")) {
      throw new BenchError(`Sign-in of ${this.email} failed (HTTP ${res.status}): no session cookie`);
    }
  }

  async query<T>(proc: string, input: unknown): Promise<T> {
    const url = `${this.base}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
    const res = await fetch(url, { headers: { cookie: this.header() } });
    const body = (await res.json()) as { result?: { data: { json: T } }; error?: { json: { message: string } } };
    if (!res.ok || !body.result) throw new BenchError(`${proc} failed (HTTP ${res.status}): ${body.error?.json.message}`);
    return body.result.data.json;
  }

  /** A mutation; resolves with the HTTP status and tRPC error code instead of throwing. */
  async mutate(proc: string, input: unknown): Promise<{ status: number; code: string | null; message: string | null }> {
    const res = await fetch(`${this.base}/api/trpc/${proc}`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: this.header() },
      body: JSON.stringify({ json: input }),
    });
    const body = (await res.json()) as { error?: { json: { message: string; data?: { code?: string } } } };
    return { status: res.status, code: body.error?.json.data?.code ?? null, message: body.error?.json.message ?? null };
  }
}

// ---------------------------------------------------------------------------------------------------
// Data

function rectangleMask(x: number, y: number, w: number, h: number): string {
  const data = new Uint8Array(IMAGE_W * IMAGE_H);
  for (let r = y; r < y + h; r++) for (let c = x; c < x + w; c++) data[r * IMAGE_W + c] = 1;
  return encodeMask({ width: IMAGE_W, height: IMAGE_H, data }).counts;
}

async function seedProject(prisma: PrismaClient, name: string, masks: number, reviewerIds: string[]) {
  const project = await prisma.project.create({
    data: { name, slug: `${name}-${randomBytes(3).toString("hex")}`, members: { create: reviewerIds.map((userId) => ({ userId, role: "REVIEWER" as const })) } },
  });
  const labels = await Promise.all(["dog", "cat", "person"].map((n, i) =>
    prisma.labelClass.create({ data: { projectId: project.id, name: n, color: ["#e6194b", "#f58231", "#4363d8"][i]!, sortOrder: i } })));
  const images: { id: string }[] = [];
  for (let i = 0; i < Math.ceil(masks / 40); i++) {
    images.push(await prisma.image.create({
      data: { projectId: project.id, storageKey: `bench/${project.id}/${i}.png`, fileName: `${i}.png`, mimeType: "image/png", sizeBytes: 1, width: IMAGE_W, height: IMAGE_H, sha256: randomBytes(16).toString("hex"), source: "SEED" },
    }));
  }
  const rows = Array.from({ length: masks }, (_, i) => {
    const w = 4 + (i % 20), h = 3 + (i % 15), x = i % (IMAGE_W - w), y = (i * 7) % (IMAGE_H - h);
    const rle = rectangleMask(x, y, w, h);
    return {
      projectId: project.id, imageId: images[i % images.length]!.id, rle, rleChecksum: `${i}-${rle.length}`, bbox: [x, y, w, h], area: w * h,
      source: "AUTO" as const, stage: 2, status: "PROPOSED" as const, predictedIou: 0.7 + Math.random() * 0.3, stabilityScore: 0.9 + Math.random() * 0.1,
    };
  });
  for (let i = 0; i < rows.length; i += 1000) await prisma.mask.createMany({ data: rows.slice(i, i + 1000) });
  return { projectId: project.id, labelIds: labels.map((l) => l.id) };
}

// ---------------------------------------------------------------------------------------------------
// Reviewers

interface Success { maskId: string; reviewerId: string; action: "ACCEPT" | "REJECT" | "RELABEL"; labelClassId?: string }
interface PhaseResult {
  name: string; reviewers: number; masks: number; attempts: number; successes: Success[]; conflicts: number; errors: string[];
  wallMs: number; decideMs: number[]; queueMs: number[];
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * Every reviewer works from the top of the same queue (best predicted IoU first), through a page of it
 * in its own order; a conflict means the page went stale, so the reviewer reloads it, as the page does.
 */
async function runPhase(name: string, sessions: { session: Session; userId: string }[], projectId: string, labelIds: string[], masks: number): Promise<PhaseResult> {
  const result: PhaseResult = { name, reviewers: sessions.length, masks, attempts: 0, successes: [], conflicts: 0, errors: [], wallMs: 0, decideMs: [], queueMs: [] };
  const start = performance.now();
  await Promise.all(sessions.map(async ({ session, userId }) => {
    for (;;) {
      const q0 = performance.now();
      const page = await session.query<{ items: { id: string; version: number }[] }>("review.queue", { projectId, sort: "iou_desc", offset: 0, limit: PAGE });
      result.queueMs.push(performance.now() - q0);
      if (page.items.length === 0) return;
      for (const item of sessions.length > 1 ? shuffle(page.items) : page.items) {
        const roll = Math.random();
        const action = roll < 0.7 ? "ACCEPT" : roll < 0.9 ? "REJECT" : "RELABEL";
        const labelClassId = action === "RELABEL" ? labelIds[Math.floor(Math.random() * labelIds.length)] : undefined;
        const t0 = performance.now();
        const r = await session.mutate("review.decide", { projectId, maskId: item.id, expectedVersion: item.version, action, ...(labelClassId ? { labelClassId } : {}) });
        result.decideMs.push(performance.now() - t0);
        result.attempts++;
        if (r.status === 200) result.successes.push({ maskId: item.id, reviewerId: userId, action, labelClassId });
        else if (r.code === "CONFLICT") {
          result.conflicts++;
          break;
        } else result.errors.push(`HTTP ${r.status} ${r.code}: ${r.message}`);
      }
    }
  }));
  result.wallMs = performance.now() - start;
  return result;
}

interface Verification { undecided: number; doubleApplied: number; lost: number; decisionRows: number; auditRows: number }

async function verify(prisma: PrismaClient, projectId: string, r: PhaseResult): Promise<Verification> {
  const rows = await prisma.mask.findMany({
    where: { projectId },
    select: { id: true, status: true, reviewerId: true, labelClassId: true, version: true, decisions: { select: { reviewerId: true, action: true } } },
  });
  const byId = new Map(rows.map((m) => [m.id, m]));
  const successesPerMask = new Map<string, number>();
  for (const s of r.successes) successesPerMask.set(s.maskId, (successesPerMask.get(s.maskId) ?? 0) + 1);
  let lost = 0;
  for (const s of r.successes) {
    const m = byId.get(s.maskId);
    const want = s.action === "REJECT" ? "REJECTED" : "ACCEPTED";
    const d = m?.decisions.find((x) => x.reviewerId === s.reviewerId && x.action === s.action);
    if (!m || m.status !== want || m.reviewerId !== s.reviewerId || !d || (s.labelClassId && m.labelClassId !== s.labelClassId)) lost++;
  }
  const doubleApplied =
    rows.filter((m) => m.decisions.length > 1 || m.version > 2).length + [...successesPerMask.values()].filter((n) => n > 1).length;
  const decisionRows = rows.reduce((a, m) => a + m.decisions.length, 0);
  const auditRows = await prisma.auditLog.count({ where: { projectId, entityType: "Mask" } });
  return { undecided: rows.filter((m) => m.status === "PROPOSED").length, doubleApplied, lost, decisionRows, auditRows };
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

function table(rows: Record<string, string | number>[]): string {
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(width[i]!)).join("  ");
  return [line(cols), line(width.map((w) => "-".repeat(w))), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join("\n");
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const adminUrl = args.postgres;
  const dbName = `de_bench_review_${randomBytes(4).toString("hex")}`;
  const dbUrl = (() => {
    const u = new URL(adminUrl);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  try {
    await admin.connect();
  } catch (err) {
    throw new BenchError(`Cannot reach PostgreSQL at ${adminUrl}: ${(err as Error).message}`);
  }
  console.log(`[bench] building the app if needed…`);
  ensureBuild();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "bench-review-"));
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let db: Awaited<ReturnType<typeof openPostgresDatabase>> | undefined;
  try {
    process.env.DATABASE_URL = dbUrl;
    delete process.env.NEXTAUTH_URL;
    server = await startServer({ port: 0, host: "127.0.0.1", dataDir, seed: false, workerMode: "separate", log: () => {} });
    db = await openPostgresDatabase(dbUrl, { migrate: false });
    const prisma = db.prisma;
    console.log(`[bench] server ${server.url}, database ${dbName}`);

    const passwordHash = await hashPassword(PASSWORD);
    const users = await Promise.all(Array.from({ length: REVIEWERS }, (_, i) =>
      prisma.user.create({ data: { email: `reviewer${i + 1}@bench.local`, name: `Reviewer ${i + 1}`, role: "REVIEWER", passwordHash } })));
    const sessions = users.map((u) => ({ session: new Session(server!.url, u.email), userId: u.id }));
    const t0 = performance.now();
    for (const s of sessions) await s.session.signIn(PASSWORD);
    console.log(`[bench] ${sessions.length} reviewers signed in over HTTP in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const ids = users.map((u) => u.id);
    const base = await seedProject(prisma, "baseline", BASELINE_MASKS, ids);
    const shared = await seedProject(prisma, "shared", MASKS, ids);
    console.log(`[bench] seeded ${BASELINE_MASKS} + ${MASKS} proposed masks`);

    // Warm-up: first requests compile routes and fill connection pools.
    await sessions[0]!.session.query("review.queue", { projectId: base.projectId, limit: 1 });

    const phases = [
      await runPhase("1 reviewer", sessions.slice(0, 1), base.projectId, base.labelIds, BASELINE_MASKS),
      await runPhase(`${REVIEWERS} reviewers`, sessions, shared.projectId, shared.labelIds, MASKS),
    ];
    const rows = [];
    let failures = 0;
    for (const [i, r] of phases.entries()) {
      const v = await verify(prisma, i === 0 ? base.projectId : shared.projectId, r);
      const mismatch = v.decisionRows !== r.successes.length;
      failures += v.lost + v.doubleApplied + v.undecided + (mismatch ? 1 : 0) + r.errors.length;
      rows.push({
        phase: r.name, masks: r.masks, attempts: r.attempts, decided: r.successes.length, conflicts: r.conflicts, errors: r.errors.length,
        "wall s": (r.wallMs / 1000).toFixed(1), "decisions/s": (r.successes.length / (r.wallMs / 1000)).toFixed(1),
        "p50 ms": pct(r.decideMs, 50).toFixed(1), "p99 ms": pct(r.decideMs, 99).toFixed(1), "queue p50 ms": pct(r.queueMs, 50).toFixed(1),
        "decision rows": v.decisionRows, undecided: v.undecided, lost: v.lost, "double-applied": v.doubleApplied,
      });
      for (const e of r.errors.slice(0, 5)) console.log(`[bench] ${r.name} error: ${e}`);
    }
    console.log(`\nreview.decide over HTTP, PostgreSQL ${(await admin.query("SHOW server_version")).rows[0].server_version}, ` +
      `node ${process.version}, ${os.cpus().length} CPUs (load ${os.loadavg()[0]!.toFixed(1)}), client and server in one process\n`);
    console.log(table(rows));
    console.log(`\n(decided = HTTP 200 responses; decision rows = ReviewDecision rows in the database; lost = a 200 whose ` +
      `decision is not the mask's recorded one; double-applied = masks with more than one decision)`);
    if (failures > 0) {
      console.error(`\n[bench] FAILED: ${failures} lost, double-applied, undecided, mismatched or failed decisions`);
      process.exitCode = 1;
    } else {
      console.log(`\n[bench] OK: every mask decided exactly once; ReviewDecision rows == successful decisions; nothing lost`);
    }
  } finally {
    await db?.close().catch(() => undefined);
    await server?.close().catch((err: unknown) => console.error("[bench] server close:", err));
    if (!args.keep) {
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch((err: unknown) => console.error(`[bench] could not drop ${dbName}:`, err));
    } else {
      console.log(`[bench] kept database ${dbName}`);
    }
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(`[bench] ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    process.exit(1);
  },
);
