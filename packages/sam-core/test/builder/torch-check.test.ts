import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const PYTHON = "/usr/bin/python3";
const probe = spawnSync(PYTHON, ["-c", "import torch, onnx, numpy"], { encoding: "utf8" });
const missing =
  probe.status === 0 ? null : (probe.error?.message ?? probe.stderr.trim().split("\n").pop() ?? "unknown");
if (missing) console.log(`[torch-check] skipped: ${PYTHON} cannot import torch/onnx/numpy (${missing})`);

const root = join(import.meta.dirname, "../..");

describe.skipIf(missing !== null)("PyTorch reference check (scripts/torch-check)", () => {
  it("ONNX Runtime outputs of built models match an independent PyTorch forward pass", () => {
    const dir = mkdtempSync(join(tmpdir(), "sam-torch-check-"));
    try {
      const exp = spawnSync("npx", ["tsx", "scripts/torch-check/export-cases.ts", dir], {
        cwd: root,
        encoding: "utf8",
      });
      expect(exp.status, exp.stderr).toBe(0);
      const chk = spawnSync(PYTHON, ["scripts/torch-check/check.py", dir], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, OMP_NUM_THREADS: "1" },
      });
      console.log(chk.stdout);
      expect(chk.status, chk.stdout + chk.stderr).toBe(0);
      expect(chk.stdout).toMatch(/^0 failure\(s\)$/m);
      expect(chk.stdout).toMatch(/ok {3}vit_b_public_many\.masks/);
      expect(chk.stdout).toMatch(/ok {3}enc_tiny_win6_normalized\.image_embeddings/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
