export * from "./errors.ts";
export * from "./parse.ts";
export * from "./tensor-info.ts";
export * from "./roles.ts";
export * from "./inspect.ts";
export * from "./require.ts";
export * from "./format.ts";
export * from "./encoder-flops.ts";
