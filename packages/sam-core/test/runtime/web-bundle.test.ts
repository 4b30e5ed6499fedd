// The browser entry must bundle for the browser: no Node built-ins, no onnxruntime-node, no sharp.
import { join } from "node:path";
import { build } from "esbuild";
import { expect, it } from "vitest";

it("src/web.ts bundles for the browser without Node-only modules", async () => {
  const result = await build({
    entryPoints: [join(import.meta.dirname, "../../src/web.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.some((p) => p.includes("onnxruntime-web"))).toBe(true);
  for (const banned of ["onnxruntime-node", "sharp", "node:"]) expect(inputs.filter((p) => p.includes(banned))).toEqual([]);
  expect(result.outputFiles[0]!.text).not.toMatch(/from\s*["']node:/);
}, 30_000);
