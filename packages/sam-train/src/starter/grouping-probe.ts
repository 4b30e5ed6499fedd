import { preprocessHwc, type OrtBackend } from "@data-engine/sam-core";
import { cellGroupingIoU, cellSegments } from "./grouping-loss.ts";
import { generateScene, type SceneDomain } from "./scenes.ts";

/**
 * Mean cell grouping IoU (grouping-loss.ts cellGroupingIoU) of an ONNX encoder (normalized input form)
 * over held-out scenes: how well its embedding alone, with no decoder, tells a scene's objects apart.
 */
export async function groupingProbe(
  backend: OrtBackend,
  encoderModel: Uint8Array,
  o: { count: number; firstSeed: number; domain: SceneDomain; size: number },
): Promise<number> {
  const S = o.size;
  const sess = await backend.createSession(encoderModel, { label: "encoder" });
  const ious: number[] = [];
  try {
    for (let i = 0; i < o.count; i++) {
      const scene = generateScene(o.firstSeed + i, { size: S, domain: o.domain });
      const r = await sess.run({
        input_image: backend.tensor("float32", preprocessHwc(scene.rgb, S, S, S), [1, 3, S, S]),
      });
      const emb = r.image_embeddings!;
      const [, channels, side] = emb.dims as number[];
      ious.push(...cellGroupingIoU(emb.data as Float32Array, channels!, cellSegments(scene.masks, S, side!)));
    }
  } finally {
    await sess.release();
  }
  return ious.length ? ious.reduce((a, b) => a + b, 0) / ious.length : 0;
}
