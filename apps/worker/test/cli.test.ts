// The admin CLI as a user runs it (a child process on an embedded PGlite data directory): JSON output,
// a job followed to the end in-process, and exit codes that mean something.
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../src/cli/main.ts";
import { writeImages } from "./support/images.ts";

const BIN = fileURLToPath(new URL("../bin/data-engine.mjs", import.meta.url));
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "cli-test-"));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function runInProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = { DATA_DIR: process.env.DATA_DIR, DATABASE_URL: process.env.DATABASE_URL, S3_BUCKET: process.env.S3_BUCKET };
  process.env.DATA_DIR = dataDir;
  delete process.env.DATABASE_URL;
  delete process.env.S3_BUCKET;
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const code = await runCli(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function cli(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, WORKER_MONITOR_SECONDS: "1" };
  delete env.DATABASE_URL;
  delete env.S3_BUCKET;
  const run = spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8", timeout: 120_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("data-engine CLI", () => {
  it("prints usage and rejects unknown commands and options without touching the database", { timeout: 120_000 }, () => {
    const help = cli("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/jobs follow/);
    expect(cli("frobnicate").code).toBe(2);
    const bad = cli("project", "create", "--colour", "red");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--colour'/);
    expect(help.stdout).toMatch(/retrain/);
    expect(help.stdout).toMatch(/model promote/);
    expect(help.stdout).toMatch(/training import/);
  });

  // Database-backed commands run in this process through runCli (a spawned CLI spends most of its time
  // starting up); the spawned checks above cover the launcher and process exit codes.
  it("creates a project, imports a folder following the job, and maps errors to exit codes", { timeout: 240_000 }, async () => {
    const created = await runInProcess("project", "create", "--name", "Birds", "--labels", "bird,nest", "--json");
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: "Birds", slug: "birds" });

    const folder = path.join(dataDir, "photos");
    await mkdir(folder);
    await writeImages(folder, 2);
    await writeFile(path.join(folder, "notes.txt"), "not an image");
    const imported = await runInProcess("import", "--project", "birds", "--folder", folder, "--json");
    expect(imported.code, imported.stderr).toBe(0);
    const job = JSON.parse(imported.stdout) as { status: string; result: Record<string, number> };
    expect(job.status).toBe("SUCCEEDED");
    expect(job.result).toMatchObject({ imported: 2, rejected: 1 });

    const missing = await runInProcess("import", "--project", "nope", "--folder", folder);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/No project "nope"/);
    const invalid = await runInProcess("export", "--project", "birds", "--stages", "9", "--json");
    expect(invalid.code).toBe(2);
    expect(JSON.parse(invalid.stdout).error).toMatch(/filter\.stages/);
  });
});
