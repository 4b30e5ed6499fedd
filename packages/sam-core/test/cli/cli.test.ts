import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { decodeEmbedding, decodeMask } from "../../src/index.ts";
import type { CocoRle, XywhBox } from "../../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "sam-cli-"));
const IMAGE = "/work/shared/samples/dog.jpg"; // 800x534
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

interface Sa1b {
  image: { width: number; height: number; file_name: string };
  annotations: { id: number; segmentation: CocoRle; bbox: XywhBox; area: number; predicted_iou: number; point_coords: number[][] }[];
}

beforeAll(async () => {
  const r = await run("build", "--arch", "tiny", "--out", join(dir, "tiny"), "--seed", "5");
  expect(r.code).toBe(0);
});

describe("sam-core CLI", () => {
  it("build writes the three models and inspect describes them", async () => {
    for (const f of ["encoder.onnx", "decoder.onnx", "decoder-throughput.onnx"]) expect(existsSync(join(dir, "tiny", f))).toBe(true);
    const enc = await run("inspect", join(dir, "tiny", "encoder.onnx"));
    expect(enc.code).toBe(0);
    expect(enc.out).toMatch(/^role: encoder/);
    const thr = await run("inspect", "--json", join(dir, "tiny", "decoder-throughput.onnx"));
    expect(JSON.parse(thr.out).role).toBe("decoder-throughput");
  });

  it("embed writes a float16 embedding for the image", async () => {
    const r = await run("embed", "--encoder", join(dir, "tiny", "encoder.onnx"), IMAGE, "--out", join(dir, "emb.bin"));
    expect(r.code).toBe(0);
    const emb = decodeEmbedding(new Uint8Array(readFileSync(join(dir, "emb.bin"))));
    expect(emb.shape).toEqual([1, 64, 16, 16]);
    expect(emb.originalSize).toEqual([534, 800]);
    expect(emb.storedDtype).toBe("float16");
  });

  it("predict writes SA-1B-style records whose RLE, area and bbox agree", async () => {
    const out = join(dir, "masks.json");
    const r = await run("predict", "--encoder", join(dir, "tiny", "encoder.onnx"), "--decoder", join(dir, "tiny", "decoder.onnx"), IMAGE,
      "--points", "[[400,250,1],[100,100,0]]", "--multimask", "--out", out);
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8")) as Sa1b;
    expect(doc.image).toEqual({ width: 800, height: 534, file_name: "dog.jpg" });
    expect(doc.annotations).toHaveLength(3);
    for (const a of doc.annotations) {
      expect(a.segmentation.size).toEqual([534, 800]);
      expect(a.point_coords).toEqual([[400, 250], [100, 100]]);
      const m = decodeMask(a.segmentation);
      let area = 0;
      let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
      for (let y = 0; y < m.height; y++)
        for (let x = 0; x < m.width; x++)
          if (m.data[y * m.width + x]) {
            area++;
            x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
          }
      expect(a.area).toBe(area);
      if (area > 0) expect(a.bbox).toEqual([x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
    }
    const withEmb = await run("predict", "--embedding", join(dir, "emb.bin"), "--decoder", join(dir, "tiny", "decoder.onnx"), IMAGE, "--box", "100,50,600,500", "--out", join(dir, "m2.json"));
    expect(withEmb.code).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, "m2.json"), "utf8")) as Sa1b).annotations).toHaveLength(1);
  });

  it("exits 2 with one usage line for bad usage, 1 with one error line for failures", async () => {
    const cases: [string[], number, RegExp][] = [
      [[], 2, /usage: sam-core/],
      [["frobnicate"], 2, /unknown command "frobnicate"/],
      [["build", "--arch", "vit_x", "--out", dir], 2, /--arch must be one of tiny, vit_b, vit_l, vit_h/],
      [["predict", "--decoder", "d", "--embedding", "e", IMAGE, "--points", "[[1,2]]", "--out", "x"], 2, /\[x, y, label\]/],
      [["inspect", "--bogus", "x"], 2, /usage error: Unknown option '--bogus'/],
      [["inspect", join(dir, "nope.onnx")], 1, /error: ENOENT/],
      [["inspect", IMAGE], 1, /dog\.jpg is not an ONNX model/],
      [["predict", "--decoder", join(dir, "tiny", "encoder.onnx"), "--embedding", join(dir, "emb.bin"), IMAGE, "--box", "1,2,3,4", "--out", join(dir, "x.json")], 1,
        /expected a SAM decoder .* looks like a SAM image encoder/],
    ];
    for (const [argv, code, re] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(" ")).toBe(code);
      expect(r.err).toMatch(re);
      expect(r.err).not.toMatch(/\n\s+at /); // no stack without DEBUG
    }
  });

  it("the bin launcher runs under plain node", () => {
    const bin = join(import.meta.dirname, "../../bin/sam-core.mjs");
    const help = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/usage: sam-core <command>/);
    const bad = spawnSync(process.execPath, [bin, "inspect", IMAGE], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  }, 30_000);
});
