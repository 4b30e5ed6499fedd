import { afterAll, describe, expect, it } from "vitest";
import { createNodeBackend } from "../../src/node.ts";
import { createWebBackend } from "../../src/web.ts";
import { RuntimeError, float32Data } from "../../src/runtime/index.ts";
import type { OrtBackend } from "../../src/runtime/index.ts";
import { contractEncoder, externalize } from "./onnx-fixtures.ts";

const backends: OrtBackend[] = [createNodeBackend(), createWebBackend()];

/** What the contract encoder computes, from its definition: (c+1) * sum over RGB of the 16x16 patch mean. */
function expectedEmbedding(x: Float32Array, S: number, C: number): Float64Array {
  const g = S / 16;
  const out = new Float64Array(C * g * g);
  for (let i = 0; i < g; i++)
    for (let j = 0; j < g; j++) {
      let s = 0;
      for (let ch = 0; ch < 3; ch++)
        for (let y = 0; y < 16; y++) for (let xx = 0; xx < 16; xx++) s += x[ch * S * S + (i * 16 + y) * S + j * 16 + xx]!;
      for (let c = 0; c < C; c++) out[c * g * g + i * g + j] = ((c + 1) * s) / 256;
    }
  return out;
}

function input(S: number): Float32Array {
  const x = new Float32Array(3 * S * S);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.013) * 2;
  return x;
}

const sessions: { release(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

describe.each(backends.map((b) => [b.name, b] as const))("%s", (_name, backend) => {
  it("runs a model and returns what the graph defines", async () => {
    const s = await backend.createSession(contractEncoder({ channels: 4, inputSize: 32 }), { threads: 1 });
    sessions.push(s);
    expect([...s.inputNames]).toEqual(["input_image"]);
    const x = input(32);
    const out = await s.run({ input_image: backend.tensor("float32", x, [1, 3, 32, 32]) });
    const emb = out["image_embeddings"]!;
    expect(emb.dims).toEqual([1, 4, 2, 2]);
    const want = expectedEmbedding(x, 32, 4);
    float32Data(emb, "emb").forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
  });

  it("loads a model whose weights are in an external data file", async () => {
    const { model, data } = externalize(contractEncoder({ channels: 4, inputSize: 32 }), "weights.bin");
    const s = await backend.createSession(model, { externalData: [{ path: "weights.bin", data }], label: "encoder.onnx" });
    sessions.push(s);
    const x = input(32);
    const out = await s.run({ input_image: backend.tensor("float32", x, [1, 3, 32, 32]) });
    const want = expectedEmbedding(x, 32, 4);
    float32Data(out["image_embeddings"]!, "emb").forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
  });

  it("names the model and the cause when loading fails", async () => {
    await expect(backend.createSession(new Uint8Array([1, 2, 3, 4]), { label: "junk.onnx" })).rejects.toThrow(RuntimeError);
    await expect(backend.createSession(new Uint8Array([1, 2, 3, 4]), { label: "junk.onnx" })).rejects.toThrow(/junk\.onnx/);
  });

  it("reports a bad feed as a RuntimeError", async () => {
    const s = await backend.createSession(contractEncoder({ channels: 4, inputSize: 32 }));
    sessions.push(s);
    await expect(s.run({ input_image: backend.tensor("float32", new Float32Array(12), [1, 3, 2, 2]) })).rejects.toThrow(RuntimeError);
  });
});

it("onnxruntime-node refuses external data that was not provided, naming the file", async () => {
  const { model } = externalize(contractEncoder({ channels: 4, inputSize: 32 }), "weights.bin");
  await expect(createNodeBackend().createSession(model, { label: "enc.onnx" })).rejects.toThrow(/weights\.bin/);
});

it("refuses external data locations that escape the model folder", async () => {
  const { model, data } = externalize(contractEncoder({ channels: 4, inputSize: 32 }), "../evil.bin");
  await expect(createNodeBackend().createSession(model, { externalData: [{ path: "../evil.bin", data }] })).rejects.toThrow(/relative path inside/);
});

describe("readModelFile", () => {
  it("reads the side files a model names, and says which one is missing", async () => {
    const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { readModelFile } = await import("../../src/node.ts");
    const dir = await mkdtemp(join(tmpdir(), "sam-model-file-"));
    try {
      const { model, data } = externalize(contractEncoder({ channels: 4, inputSize: 32 }), "enc.onnx.data");
      await writeFile(join(dir, "enc.onnx"), model);
      await expect(readModelFile(join(dir, "enc.onnx"))).rejects.toThrow(/refers to external data file .*enc\.onnx\.data/);
      await writeFile(join(dir, "enc.onnx.data"), data);
      const file = await readModelFile(join(dir, "enc.onnx"));
      expect(file.externalData.map((f) => [f.path, f.data.length])).toEqual([["enc.onnx.data", data.length]]);
      const s = await createNodeBackend().createSession(file.model, { externalData: file.externalData });
      const x = input(32);
      const out = await s.run({ input_image: createNodeBackend().tensor("float32", x, [1, 3, 32, 32]) });
      const want = expectedEmbedding(x, 32, 4);
      float32Data(out["image_embeddings"]!, "emb").forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
      await s.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
