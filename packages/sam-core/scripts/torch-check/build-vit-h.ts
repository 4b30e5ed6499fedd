// Builds the ViT-H encoder with external data, writes it and opens it with onnxruntime-node:
//   npx tsx scripts/torch-check/build-vit-h.ts /tmp/vit_h
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { samConfig } from "../../src/builder/config.ts";
import { buildEncoderOnnx } from "../../src/builder/encoder/graph.ts";
import { writeSerializedModel } from "../../src/builder/node.ts";

const dir = process.argv[2] ?? "/tmp/vit_h";
mkdirSync(dir, { recursive: true });
let t = performance.now();
const m = buildEncoderOnnx(samConfig("vit_h").encoder, { seed: 1, externalDataFile: "vit_h_encoder.onnx.data" });
console.log(`built in ${((performance.now() - t) / 1000).toFixed(1)} s, external: ${m.external !== undefined}`);
t = performance.now();
const sizes = writeSerializedModel(join(dir, "vit_h_encoder.onnx"), m);
console.log(`wrote model ${sizes.modelBytes} B + data ${(sizes.dataBytes / 2 ** 30).toFixed(2)} GiB in ${((performance.now() - t) / 1000).toFixed(1)} s`);
t = performance.now();
const s = await ort.InferenceSession.create(join(dir, "vit_h_encoder.onnx"));
console.log(`onnxruntime opened it in ${((performance.now() - t) / 1000).toFixed(1)} s: ${s.inputNames} -> ${s.outputNames}`);
console.log(`peak rss ${(process.memoryUsage().rss / 2 ** 30).toFixed(2)} GiB`);
