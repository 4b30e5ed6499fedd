import { initDecoderWeights, samConfig } from "@data-engine/sam-core";
import { trainDecoder } from "./src/train.ts";
const name = (process.argv[2] ?? "tiny") as "tiny";
const c = samConfig(name).decoder;
const w = initDecoderWeights(c, 1);
const s = c.embeddingSize; const L = 4 * s;
const samples = [];
for (let i = 0; i < 8; i++) {
  const data = new Uint8Array(L * L);
  for (let y = 0; y < L; y++) for (let x = 0; x < L; x++) data[y * L + x] = (x - L / 2) ** 2 + (y - L / 2 - i) ** 2 < (L / 4 + i) ** 2 ? 1 : 0;
  samples.push({ imageId: `img${i % 2}`, embedding: Float32Array.from({ length: c.transformerDim * s * s }, (_, k) => Math.sin(k * 0.37 + i)), mask: { height: L, width: L, data } });
}
const B = Number(process.argv[3] ?? 4);
const r = await trainDecoder({ config: c, baseWeights: w, samples, steps: 3, maxObjectsPerStep: B, onProgress: (p) => console.log(p.step, p.loss.toFixed(4), p.firstIou.toFixed(3), p.lastIou.toFixed(3), p.ms.toFixed(0), "ms") });
console.log("done", r.elapsedMs.toFixed(0));
