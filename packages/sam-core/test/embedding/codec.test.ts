import { describe, expect, it } from "vitest";
import {
  assertEmbeddingMatchesModel,
  decodeEmbedding,
  embeddingMatchesModel,
  encodeEmbedding,
  EmbeddingFormatError,
  EmbeddingMismatchError,
  halfBitsToFloat,
  floatToHalfBits,
} from "../../src/embedding/index.ts";
import type { SamEmbedding } from "../../src/embedding/index.ts";

function sample(shape: [number, number, number, number] = [1, 8, 4, 4], modelId = "enc-sha256:abc"): SamEmbedding {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.37) * 3 + (i % 5) * 1e-3;
  return { data, shape, originalSize: [480, 640], inputSize: 64, modelId };
}

describe("embedding codec", () => {
  it("float16 blob of 256x64x64 is about 2 MB and decodes to the nearest halves", () => {
    const emb = sample([1, 256, 64, 64]);
    const blob = encodeEmbedding(emb);
    expect(blob.length).toBeGreaterThan(2 * 256 * 64 * 64);
    expect(blob.length).toBeLessThan(2 * 256 * 64 * 64 + 128);
    const back = decodeEmbedding(blob);
    expect(back.shape).toEqual([1, 256, 64, 64]);
    expect(back.originalSize).toEqual([480, 640]);
    expect(back.inputSize).toBe(64);
    expect(back.modelId).toBe("enc-sha256:abc");
    expect(back.storedDtype).toBe("float16");
    for (let i = 0; i < emb.data.length; i += 97) {
      expect(back.data[i]).toBe(Math.fround(halfBitsToFloat(floatToHalfBits(emb.data[i]!))));
    }
  });

  it("float32 blob is lossless", () => {
    const emb = sample();
    const back = decodeEmbedding(encodeEmbedding(emb, { dtype: "float32" }));
    expect(back.storedDtype).toBe("float32");
    expect(Array.from(back.data)).toEqual(Array.from(emb.data));
  });

  it("decodes from an unaligned view inside a larger buffer", () => {
    const blob = encodeEmbedding(sample(), { dtype: "float32" });
    const host = new Uint8Array(blob.length + 3);
    host.set(blob, 3);
    expect(Array.from(decodeEmbedding(host.subarray(3)).data)).toEqual(Array.from(sample().data));
  });

  it("keeps a UTF-8 model id", () => {
    const back = decodeEmbedding(encodeEmbedding(sample(undefined, "modèle-β")));
    expect(back.modelId).toBe("modèle-β");
  });

  it("rejects wrong magic, truncation, trailing bytes, bad version and shape", () => {
    const blob = encodeEmbedding(sample());
    const bad = blob.slice();
    bad[0] = 0x58;
    expect(() => decodeEmbedding(bad)).toThrow(EmbeddingFormatError);
    expect(() => decodeEmbedding(bad)).toThrow(/magic/);
    expect(() => decodeEmbedding(blob.subarray(0, blob.length - 1))).toThrow(/truncated or shape mismatch/);
    expect(() => decodeEmbedding(blob.subarray(0, 12))).toThrow(/truncated header/);
    expect(() => decodeEmbedding(new Uint8Array(3))).toThrow(/only 3 bytes/);
    const longer = new Uint8Array(blob.length + 2);
    longer.set(blob);
    expect(() => decodeEmbedding(longer)).toThrow(/shape mismatch/);
    const v2 = blob.slice();
    v2[4] = 2;
    expect(() => decodeEmbedding(v2)).toThrow(/unsupported version 2/);
    const wrongShape = blob.slice();
    new DataView(wrongShape.buffer).setUint32(12, 9, true); // C 8 -> 9: data length no longer fits
    expect(() => decodeEmbedding(wrongShape)).toThrow(/\[1,9,4,4\]/);
  });

  it("refuses data whose length disagrees with the shape when encoding", () => {
    const emb = sample();
    expect(() => encodeEmbedding({ ...emb, data: emb.data.subarray(1) })).toThrow(EmbeddingFormatError);
  });

  it("checks the embedding belongs to the model", () => {
    const emb = sample([1, 256, 64, 64], "enc-a");
    expect(embeddingMatchesModel(emb, { modelId: "enc-a", shape: [1, 256, 64, 64] })).toBe(true);
    expect(embeddingMatchesModel(emb, { shape: [1, 256, 64, 64] })).toBe(true);
    expect(embeddingMatchesModel(emb, { modelId: "enc-b", shape: [1, 256, 64, 64] })).toBe(false);
    expect(embeddingMatchesModel(emb, { modelId: "enc-a", shape: [1, 256, 32, 32] })).toBe(false);
    expect(() => assertEmbeddingMatchesModel(emb, { modelId: "enc-b", shape: [1, 256, 64, 64] })).toThrow(EmbeddingMismatchError);
    expect(() => assertEmbeddingMatchesModel(emb, { modelId: "enc-b", shape: [1, 256, 64, 64] })).toThrow(/"enc-a".*"enc-b"/);
  });
});
