// Kill -9 a worker process in the middle of a job, start another, and let it finish: shared by the crash
// tests. On PostgreSQL the children reach a fresh database by URL; on PGlite only one process may open
// the data directory, so the test opens it only between worker runs (withServices) and watches the files
// the worker writes to know when to kill it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "@data-engine/db/testing";
import { LOCAL_TEMP_PREFIX } from "@data-engine/storage";
import { createServices, type Services } from "../../src/services.ts";

const CHILD = fileURLToPath(new URL("../fixtures/worker-process.ts", import.meta.url));

export interface ChildResult {
  status: string;
  attempts: number;
  log: string;
}

export interface CrashHarness {
  onPostgres: boolean;
  dataDir: string;
  /** Opens the services for setup or checks (on PGlite: only while no worker process runs). */
  withServices<T>(fn: (services: Services) => Promise<T>): Promise<T>;
  /** The environment worker processes get (DATA_DIR, DATABASE_URL on PostgreSQL, fast retries). */
  env(): NodeJS.ProcessEnv;
  /** Runs a worker process (test/fixtures/worker-process.ts) until the job has ended. */
  runWorker(jobId: string): Promise<ChildResult>;
  /** Runs a worker on the job, SIGKILLs it once `midway` is true, then lets a second worker finish. */
  killMidwayAndRestart(jobId: string, midway: () => Promise<boolean>): Promise<ChildResult>;
  /** SIGKILLs any worker still running (after a failed test). */
  killAll(): Promise<void>;
  close(): Promise<void>;
}

export async function createCrashHarness(prefix: string): Promise<CrashHarness> {
  const onPostgres = process.env.TEST_DATABASE === "postgres";
  const dataDir = await mkdtemp(path.join(tmpdir(), prefix));
  let databaseUrl: string | undefined;
  let closeDatabase: (() => Promise<void>) | undefined;
  if (onPostgres) {
    // A fresh database the child processes reach by URL; the test holds no connection of its own.
    const db = await createTestDatabase();
    databaseUrl = db.databaseUrl;
    closeDatabase = async () => db.close();
  }
  const children = new Set<ChildProcess>();

  const childEnv = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      WORKER_MONITOR_SECONDS: "1",
      WORKER_RETRY_DELAY_SECONDS: "1",
      // Every queue's heartbeat at 10 s (the train queue's default is 300 s): a killed process's job comes back fast.
      WORKER_HEARTBEAT_SECONDS: "10",
    };
    delete env.S3_BUCKET;
    if (databaseUrl) env.DATABASE_URL = databaseUrl;
    else delete env.DATABASE_URL;
    return env;
  };

  const startChild = (jobId: string) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, jobId], {
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    child.on("exit", () => children.delete(child));
    let log = "";
    child.stdout!.on("data", (d) => (log += d));
    child.stderr!.on("data", (d) => (log += d));
    const result = new Promise<ChildResult>((resolve, reject) => {
      child.on("exit", (code, signal) => {
        const line = log.split("\n").find((l) => l.startsWith("RESULT "));
        if (line) resolve({ ...(JSON.parse(line.slice(7)) as { status: string; attempts: number }), log });
        else reject(new Error(`worker exited (${code ?? signal}) without a result:\n${log}`));
      });
    });
    return { child, result };
  };

  return {
    onPostgres,
    dataDir,
    env: childEnv,
    runWorker: (jobId) => startChild(jobId).result,
    async withServices(fn) {
      const services = await createServices({ env: childEnv(), dataDir, monitorIntervalSeconds: 1 });
      try {
        return await fn(services);
      } finally {
        await services.close();
      }
    },
    async killMidwayAndRestart(jobId, midway) {
      const first = startChild(jobId);
      // A worker that ends on its own (job too small, or a crash at start-up) ends the wait at once.
      let ended: Error | undefined;
      first.result.then(
        () => (ended = new Error("the job finished before the worker could be killed: make it bigger")),
        (error: Error) => (ended = error),
      );
      await until(async () => {
        if (ended) throw ended;
        return midway();
      }, "the job to be under way");
      first.child.kill("SIGKILL");
      await new Promise((r) => first.child.once("exit", r));
      return startChild(jobId).result;
    },
    async killAll() {
      // A failed test must not leave a worker holding the data directory for the next one.
      for (const child of children) {
        child.kill("SIGKILL");
        await new Promise((r) => child.once("exit", r));
      }
    },
    async close() {
      await closeDatabase?.();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Files in a folder, ignoring the storage's own in-flight temporary files (a killed write can leave one). */
export async function countFiles(dir: string): Promise<number> {
  return existsSync(dir) ? (await readdir(dir)).filter((n) => !n.startsWith(LOCAL_TEMP_PREFIX)).length : 0;
}
