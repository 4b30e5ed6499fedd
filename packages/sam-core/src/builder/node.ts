// Node-only helpers (file system): kept out of index.ts so the builder stays usable in browsers.
export { writeSerializedModel, externalReaderFor } from "./onnx/write-node.ts";
