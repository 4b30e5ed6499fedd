// Measures build time and size of the encoder and decoder for the given configs (default tiny, vit_b):
//   npx tsx scripts/torch-check/build-sizes.ts tiny vit_b
import { samConfig, type SamConfigName } from "../../src/builder/config.ts";
import { buildDecoderOnnx } from "../../src/builder/decoder/graph.ts";
import { initDecoderWeights } from "../../src/builder/decoder/init.ts";
import { buildEncoderOnnx } from "../../src/builder/encoder/graph.ts";

const names = (
  process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["tiny", "vit_b"]
) as SamConfigName[];
for (const name of names) {
  const c = samConfig(name);
  let t = performance.now();
  const enc = buildEncoderOnnx(c.encoder, { seed: 1 });
  const encMs = performance.now() - t;
  const encBytes = enc.model.byteLength + (enc.external?.byteLength ?? 0);
  t = performance.now();
  const dec = buildDecoderOnnx(c.decoder, initDecoderWeights(c.decoder, 1));
  const decMs = performance.now() - t;
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(
    `${name}: encoder ${(encBytes / 2 ** 20).toFixed(1)} MiB in ${(encMs / 1000).toFixed(2)} s` +
      `${enc.external ? " (external data)" : ""}; decoder ${(dec.model.byteLength / 2 ** 20).toFixed(1)} MiB in ` +
      `${(decMs / 1000).toFixed(2)} s; rss ${rss.toFixed(0)} MiB`,
  );
}
