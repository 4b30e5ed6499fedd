// Pure entry: no runtime, no file system. Pick a backend from "./node" or "./web".
export * from "./runtime/index.ts";
export * from "./image/index.ts";
export * from "./embedding/index.ts";
export * from "./inspect/index.ts";
export * from "./predictor/index.ts";
export * from "./builder/index.ts";
