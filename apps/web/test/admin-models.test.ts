// The models page's comparison table: nested metrics flattened, missing ones shown as gaps, the best
// numeric value of each row marked only when there is a difference to mark.
import { describe, expect, it } from "vitest";
import { flattenMetrics, metricTable } from "../src/app/admin/models/metric-table.ts";

describe("metricTable", () => {
  it("puts every metric any model has on one row, in name order", () => {
    const rows = metricTable([
      { metrics: { miou: 0.71, eval: { sa1b: { miou: 0.6 }, coco: 0.5 }, steps: 855 } },
      { metrics: { miou: 0.74, eval: { sa1b: { miou: 0.6 } }, note: "retrained" } },
      { metrics: null },
    ]);
    expect(rows.map((r) => r.name)).toEqual(["eval.coco", "eval.sa1b.miou", "miou", "note", "steps"]);
    expect(rows.find((r) => r.name === "miou")).toEqual({ name: "miou", values: [0.71, 0.74, null], best: 1 });
    expect(rows.find((r) => r.name === "eval.sa1b.miou")!.best).toBeNull(); // a tie marks nothing
    expect(rows.find((r) => r.name === "eval.coco")).toEqual({ name: "eval.coco", values: [0.5, null, null], best: null });
    expect(rows.find((r) => r.name === "note")!.values).toEqual([null, "retrained", null]);
  });

  it("ignores arrays, non-finite numbers and non-objects", () => {
    expect([...flattenMetrics({ a: [1, 2], b: Number.NaN, c: true, d: { e: 1 } })]).toEqual([["d.e", 1]]);
    expect(flattenMetrics("0.7").size).toBe(0);
  });
});
