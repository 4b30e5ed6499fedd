export * from "./backend.ts";
export * from "./ort-adapter.ts";
export * from "./measure-flops.ts";
