export * from "./errors.ts";
export * from "./prompt.ts";
export * from "./model-id.ts";
export * from "./sam-predictor.ts";
export * from "./records.ts";
export * from "./encode-image.ts";
