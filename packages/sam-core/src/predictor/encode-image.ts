import type { SamEmbedding } from "../embedding/embedding.ts";
import { normalizeAndPad, resizeLongestSide, toRawHwc } from "../image/preprocess.ts";
import type { RgbImage } from "../image/rgb-image.ts";
import { inspectOnnx } from "../inspect/inspect.ts";
import { requireRole } from "../inspect/require.ts";
import type { ExternalDataFile, OrtBackend } from "../runtime/backend.ts";
import { float32Data } from "../runtime/backend.ts";
import { PredictorStateError } from "./errors.ts";
import { modelIdFromBytes } from "./model-id.ts";

/**
 * Encoder only (no decoder needed): reference preprocessing, one run, the embedding with its model id.
 * For servers that precompute embeddings for the browser.
 */
export async function encodeImage(
  backend: OrtBackend,
  encoder: Uint8Array,
  externalData: ExternalDataFile[] | undefined,
  image: RgbImage,
  modelId?: string,
): Promise<SamEmbedding> {
  const info = inspectOnnx(encoder, "encoder");
  requireRole(info, "encoder", "the encoder file");
  const S = info.sam.inputSize;
  if (!S) throw new PredictorStateError("cannot tell the encoder's input size (no fixed input shape, metadata, or embedding grid)");
  const session = await backend.createSession(encoder, { externalData, label: "encoder" });
  try {
    const resized = resizeLongestSide(image, S);
    const input =
      info.sam.encoderInputForm === "raw-hwc"
        ? backend.tensor("float32", toRawHwc(resized), [resized.height, resized.width, 3])
        : backend.tensor("float32", normalizeAndPad(resized, S), [1, 3, S, S]);
    const out = await session.run({ input_image: input });
    const t = out["image_embeddings"];
    if (!t || t.dims.length !== 4) throw new PredictorStateError("encoder returned no [1,C,h,w] image_embeddings");
    return {
      data: float32Data(t, "image_embeddings"),
      shape: [...t.dims] as [number, number, number, number],
      originalSize: [image.height, image.width],
      inputSize: S,
      modelId: modelId ?? (await modelIdFromBytes(encoder, externalData)),
    };
  } finally {
    await session.release();
  }
}
