// GraphBuilder.output: a node's output becomes the graph output by renaming (no Identity copy), and
// every use of the value, declared before or after, follows the new name.
import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../src/builder/onnx/graph.ts";
import { serializeModel } from "../../src/builder/onnx/model.ts";
import * as ops from "../../src/builder/onnx/ops.ts";
import { f32, run } from "./helpers.ts";

describe("GraphBuilder.output", () => {
  it("renames the producing node's output, and uses before and after the rename follow it", async () => {
    const g = new GraphBuilder(17);
    const x = g.input("x", "float32", [2]);
    const doubled = ops.add(g, x, x);
    const before = ops.mul(g, doubled, g.constF(3, []));
    g.output(doubled, "doubled", "float32", [2]);
    const after = ops.add(g, doubled, g.constF(1, []));
    g.output(before, "tripled", "float32", [2]);
    g.output(after, "plus_one", "float32", [2]);
    expect(g.nodes.some((n) => n.opType === "Identity")).toBe(false);
    const out = await run(serializeModel(g, { graphName: "t" }).model, { x: f32([1, 2], [2]) });
    expect([...(out["doubled"]!.data as Float32Array)]).toEqual([2, 4]);
    expect([...(out["tripled"]!.data as Float32Array)]).toEqual([6, 12]);
    expect([...(out["plus_one"]!.data as Float32Array)]).toEqual([3, 5]);
  });

  it("copies through an Identity a graph input, an initializer, or a value already output", async () => {
    const g = new GraphBuilder(17);
    const x = g.input("x", "float32", [2]);
    const c = g.initFloat("c", [2], Float32Array.of(5, 5));
    const y = ops.sub(g, x, c);
    g.output(y, "y", "float32", [2]);
    g.output(y, "y_again", "float32", [2]);
    g.output(x, "x_out", "float32", [2]);
    g.output(c, "c_out", "float32", [2]);
    expect(g.nodes.filter((n) => n.opType === "Identity")).toHaveLength(3);
    const out = await run(serializeModel(g, { graphName: "t" }).model, { x: f32([1, 2], [2]) });
    expect([...(out["y"]!.data as Float32Array)]).toEqual([-4, -3]);
    expect([...(out["y_again"]!.data as Float32Array)]).toEqual([-4, -3]);
    expect([...(out["x_out"]!.data as Float32Array)]).toEqual([1, 2]);
    expect([...(out["c_out"]!.data as Float32Array)]).toEqual([5, 5]);
  });
});
