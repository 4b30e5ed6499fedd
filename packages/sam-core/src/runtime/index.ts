export * from "./backend.ts";
export * from "./ort-adapter.ts";
