export * from "./float16.ts";
export * from "./codec.ts";
export * from "./embedding.ts";
export * from "./errors.ts";
