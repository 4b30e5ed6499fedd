// Scale-out: the same embed jobs worked by 1, then 2 worker processes (`src/main.ts`, WORKER_QUEUES=embed)
// on one PostgreSQL queue. Needs PostgreSQL (PGlite is one process): a fresh database on TEST_POSTGRES_URL's
// server (default postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end. The bench process
// only queues and watches; the workers share its local file storage through DATA_DIR.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { createTestDatabase } from "@data-engine/db/testing";
import { createLocalStorage } from "@data-engine/storage";
import { createServices, type Services } from "../src/services.ts";
import { enqueueJob } from "../src/queue/enqueue.ts";
import { buildDemoModel } from "../src/models/build-demo.ts";
import { activateModel } from "../src/models/activate.ts";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

export interface ScaleOutOptions {
  samplesDir: string;
  /** Embed jobs queued per run; each embeds the sample photos of its own project. */
  jobs: number;
}

export interface ScaleOutRun {
  workers: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

/** Starts a worker process and resolves once it works on the queue (its start-up line). */
async function startWorker(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stderr!.on("data", (d) => (log += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      log += d;
      if (log.includes(" working on ")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`worker exited (${code}) before it started:\n${log}`)));
  });
  return { child, log: () => log };
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/** Queues one embed job per project and returns the time from the first enqueue to the last job's end. */
async function embedAll(
  services: Services,
  projects: string[],
  modelVersionId: string,
): Promise<{ images: number; seconds: number }> {
  const start = Date.now();
  const ids: string[] = [];
  for (const projectId of projects)
    ids.push((await enqueueJob(services, { type: "EMBED", projectId, params: { modelVersionId } })).id);
  for (;;) {
    const rows = await services.prisma.job.findMany({ where: { id: { in: ids } } });
    const bad = rows.find((r) => ["FAILED", "DEAD", "CANCELLED"].includes(r.status));
    if (bad) throw new Error(`embed job ${bad.id} ${bad.status}: ${bad.error}`);
    if (rows.every((r) => r.status === "SUCCEEDED")) {
      const end = Math.max(...rows.map((r) => r.finishedAt!.getTime()));
      const images = rows.reduce((n, r) => n + (r.result as { embedded: number }).embedded, 0);
      return { images, seconds: (end - start) / 1000 };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function measureScaleOut(options: ScaleOutOptions): Promise<ScaleOutRun[]> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "worker-bench-scale-"));
  const database = await createTestDatabase({ kind: "postgres" });
  const services = await createServices({
    database,
    ownsDatabase: true,
    dataDir,
    storage: createLocalStorage({ root: path.join(dataDir, "files") }),
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.databaseUrl,
    DATA_DIR: dataDir,
    WORKER_QUEUES: "embed",
  };
  for (const name of [
    "S3_BUCKET",
    "S3_ENDPOINT",
    "S3_PREFIX",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "WORKER_CONCURRENCY",
  ])
    delete env[name];
  const children: ChildProcess[] = [];
  try {
    const model = await buildDemoModel(services, { config: "tiny", seed: 0 });
    const files = (await readdir(options.samplesDir)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    const photos = await Promise.all(files.map((f) => readFile(path.join(options.samplesDir, f))));
    const projects: string[] = [];
    for (let j = 0; j < options.jobs; j++) {
      const project = await services.prisma.project.create({
        data: { name: `scale ${j}`, slug: `scale-${j}` },
      });
      for (const [i, bytes] of photos.entries()) {
        const sha256 = createHash("sha256").update(bytes).digest("hex");
        const storageKey = `projects/${project.id}/images/${sha256}${path.extname(files[i]!)}`;
        await services.storage.put(storageKey, bytes);
        const { width, height, format } = await sharp(bytes).metadata();
        await services.prisma.image.create({
          data: {
            projectId: project.id,
            storageKey,
            fileName: files[i]!,
            mimeType: `image/${format}`,
            sizeBytes: bytes.length,
            width: width!,
            height: height!,
            sha256,
            source: "UPLOAD",
          },
        });
      }
      await activateModel(services, { projectId: project.id, modelVersionId: model.id, embed: false });
      projects.push(project.id);
    }

    const runs: ScaleOutRun[] = [];
    for (const workers of [1, 2]) {
      // Same work each run: no embeddings yet.
      await services.prisma.embedding.deleteMany({});
      const started = [];
      for (let w = 0; w < workers; w++) started.push(await startWorker(env));
      children.push(...started.map((s) => s.child));
      const { images, seconds } = await embedAll(services, projects, model.id);
      runs.push({ workers, images, seconds, imagesPerSecond: images / seconds });
      for (const s of started) await stopWorker(s.child);
    }
    return runs;
  } finally {
    for (const child of children) await stopWorker(child);
    await services.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
