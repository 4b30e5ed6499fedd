export * from "./errors.ts";
export * from "./prompt.ts";
export * from "./model-id.ts";
export * from "./sam-predictor.ts";
