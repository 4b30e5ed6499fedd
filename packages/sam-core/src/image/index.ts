export * from "./errors.ts";
export * from "./rgb-image.ts";
export * from "./pil-resample.ts";
export * from "./preprocess.ts";
export * from "./transforms.ts";
