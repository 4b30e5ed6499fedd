export * from "./graph.ts";
export * as ops from "./ops.ts";
export * from "./model.ts";
export * from "./read.ts";
