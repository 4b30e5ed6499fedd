import { describe, expect, it } from "vitest";
import { buildEncoderOnnx, samConfig } from "../../src/builder/index.ts";
import type { EncoderConfig } from "../../src/builder/index.ts";
import { encoderFlops } from "../../src/inspect/index.ts";
import { measureFlops, nodeFlops } from "../../src/runtime/index.ts";
import { createNodeBackend } from "../../src/node.ts";

describe("FLOP counting", () => {
  it("counts single ops by the 2 x MAC rule", () => {
    const n = (opType: string, attribute: never[] = []) => ({ opType, attribute });
    expect(nodeFlops(n("MatMul"), [[2, 5, 3], [3, 4]], [2, 5, 4])).toBe(2 * 2 * 5 * 4 * 3);
    expect(nodeFlops(n("Conv"), [[1, 3, 8, 8], [6, 3, 2, 2]], [1, 6, 4, 4])).toBe(2 * 6 * 16 * 3 * 4);
    expect(nodeFlops(n("ConvTranspose"), [[1, 4, 8, 8], [4, 2, 2, 2]], [1, 2, 16, 16])).toBe(2 * 4 * 64 * 2 * 4);
    const eq = { name: "equation", s: new TextEncoder().encode("bhwc,hkc->bhwk") };
    expect(nodeFlops({ opType: "Einsum", attribute: [eq as never] }, [[6, 4, 4, 8], [4, 4, 8]], [6, 4, 4, 4])).toBe(2 * 6 * 4 * 4 * 8 * 4);
  });

  const tiny = samConfig("tiny").encoder;
  // Window 5 on a 16x16 grid pads to 20x20: the analytic count must include the padded windows.
  const padded: EncoderConfig = { ...tiny, windowSize: 5 };
  for (const [name, cfg] of [["tiny", tiny], ["tiny with padded windows", padded]] as const) {
    it(`analytic encoder FLOPs equal the graph-measured count (${name})`, async () => {
      const model = buildEncoderOnnx(cfg, { seed: 1 }).model;
      const backend = createNodeBackend();
      const S = cfg.imgSize;
      const report = await measureFlops(backend, model, { input_image: backend.tensor("float32", new Float32Array(3 * S * S), [1, 3, S, S]) });
      expect(report.nodes).toBeGreaterThan(10);
      expect(report.total).toBe(encoderFlops(cfg));
    });
  }
});
