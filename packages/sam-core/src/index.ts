// Pure entry: no runtime, no file system. Pick a backend from "./node" or "./web".
export * from "./runtime/index.ts";
export * from "./image/index.ts";
export * from "./embedding/index.ts";
export * from "./inspect/index.ts";
export * from "./predictor/index.ts";
export * from "./builder/index.ts";
export * from "./mask/index.ts";
// The builder has its own copies of these for in-graph preprocessing; the root exports the image module's.
export { PIXEL_MEAN, PIXEL_STD, resizedSize } from "./image/index.ts";
export * from "./amg/index.ts";
