// The worker process's WORKER_QUEUES / WORKER_CONCURRENCY settings.
import { describe, expect, it } from "vitest";
import { parseConcurrency, parseQueues } from "../src/queue/worker-env.ts";

describe("worker environment", () => {
  it("reads queues and a concurrency for all queues or per queue, and names what is wrong", () => {
    expect(parseQueues(undefined)).toBeUndefined();
    expect(parseQueues("embed, train")).toEqual(["embed", "train"]);
    expect(() => parseQueues("embed,gpu")).toThrow(/unknown queue "gpu"/);
    expect(parseConcurrency("")).toBeUndefined();
    expect(parseConcurrency("3")).toBe(3);
    expect(parseConcurrency("embed=2, train=1")).toEqual({ embed: 2, train: 1 });
    expect(() => parseConcurrency("0")).toThrow(/from 1 to 64/);
    expect(() => parseConcurrency("embed=two")).toThrow(/embed must be an integer/);
    expect(() => parseConcurrency("gpu=2")).toThrow(/known queue/);
  });
});
