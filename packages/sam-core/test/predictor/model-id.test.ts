import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { modelIdFromBytes } from "../../src/predictor/index.ts";

describe("modelIdFromBytes", () => {
  it("is sha256: plus the first 16 hex digits of the SHA-256 of the bytes", async () => {
    const bytes = new TextEncoder().encode("some model bytes");
    const want = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
    expect(await modelIdFromBytes(bytes)).toBe(`sha256:${want}`);
  });

  it("depends on external data, so graphs with all weights outside still differ", async () => {
    const graph = new Uint8Array([1, 2, 3]);
    const a = await modelIdFromBytes(graph, [{ path: "w.bin", data: new Uint8Array([1]) }]);
    const b = await modelIdFromBytes(graph, [{ path: "w.bin", data: new Uint8Array([2]) }]);
    expect(a).not.toBe(b);
    expect(a).not.toBe(await modelIdFromBytes(graph));
    // Order of the files does not matter.
    const files = [{ path: "a", data: new Uint8Array([1]) }, { path: "b", data: new Uint8Array([2]) }];
    expect(await modelIdFromBytes(graph, files)).toBe(await modelIdFromBytes(graph, [...files].reverse()));
  });
});
