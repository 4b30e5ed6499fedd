import type { BinaryMask, DecoderConfig, OrtBackend, WeightMap } from "@data-engine/sam-core";
import { groupSamples, type MaskSample } from "./dataset.ts";
import { maskIou } from "./loss.ts";
import { decoderConstants, decoderForward, GAUSSIAN } from "./model/decoder.ts";
import { disposeParams, toTfParams } from "./model/params.ts";
import { centerClick, correctiveClick, maskBoxInFrame, type Point } from "./simulate.ts";
import { initTf, tf } from "./tf/backend.ts";
import { halfPixelMatrix } from "./tf/ops.ts";

/** Decodes B prompts of N points against one embedding: low-res logits [B,K,L,L] and IoU [B,K]. */
export type DecodeFn = (
  embedding: Float32Array,
  coords: Float32Array,
  labels: Float32Array,
  batch: number,
  points: number,
  maskInput: Float32Array | null,
) => Promise<{ lowRes: Float32Array; iou: Float32Array }>;

export interface EvalResult {
  masks: number;
  images: number;
  /** Mean IoU after one click at the object's centre (best of tokens 1-3 by predicted IoU). */
  mIoU1Click: number;
  /** Mean IoU from the tight box (token 0). */
  mIoUBox: number;
  /** Mean IoU after 1..maxClicks clicks (the interactive protocol: each new click at the centre of the largest error). */
  mIoUClicks: number[];
  /** Mean |predicted IoU - true IoU| of the chosen masks (1 click and box). */
  iouCalibrationMae: number;
  elapsedMs: number;
}

export interface EvalOptions {
  /** Corrective clicks protocol length (default 5). */
  maxClicks?: number;
  /** Objects decoded together per call (default 16). */
  batch?: number;
}

/** A DecodeFn running the tfjs decoder (the trainer's own forward). */
export async function tfjsDecoder(
  c: DecoderConfig,
  weights: WeightMap,
): Promise<{ decode: DecodeFn; dispose: () => void }> {
  await initTf();
  const p = toTfParams(weights);
  const k = decoderConstants(c, weights.get(GAUSSIAN)!.data);
  const s = c.embeddingSize;
  const L = 4 * s;
  const decode: DecodeFn = async (embedding, coords, labels, batch, points, maskInput) => {
    const [lowRes, iou] = tf.tidy(() => {
      const out = decoderForward(c, p, k, tf.tensor4d(embedding, [1, c.transformerDim, s, s]), {
        coords,
        labels,
        batch,
        points,
        maskInput: maskInput ? tf.tensor4d(maskInput, [batch, 1, L, L]) : null,
      });
      return [out.lowRes.dataSync() as Float32Array, out.iou.dataSync() as Float32Array];
    });
    return { lowRes: lowRes!, iou: iou! };
  };
  return { decode, dispose: () => (disposeParams(p), k.densePe.dispose(), k.gaussian.dispose()) };
}

/** A DecodeFn running a throughput ONNX decoder (e.g. the exported model) on an onnxruntime backend. */
export async function onnxDecoder(
  backend: OrtBackend,
  model: Uint8Array,
  c: DecoderConfig,
): Promise<{ decode: DecodeFn; dispose: () => Promise<void> }> {
  const sess = await backend.createSession(model, { label: "throughput decoder" });
  const s = c.embeddingSize;
  const L = 4 * s;
  const decode: DecodeFn = async (embedding, coords, labels, batch, points, maskInput) => {
    const f = (d: Float32Array, dims: number[]) => backend.tensor("float32", d, dims);
    const out = await sess.run({
      image_embeddings: f(embedding, [1, c.transformerDim, s, s]),
      point_coords: f(coords, [batch, points, 2]),
      point_labels: f(labels, [batch, points]),
      mask_input: f(maskInput ?? new Float32Array(batch * L * L), [batch, 1, L, L]),
      has_mask_input: f(new Float32Array(batch).fill(maskInput ? 1 : 0), [batch]),
    });
    return {
      lowRes: out.low_res_masks!.data as Float32Array,
      iou: out.iou_predictions!.data as Float32Array,
    };
  };
  return { decode, dispose: () => sess.release() };
}

/** Bilinear (half-pixel) upsampling of an L x L logit map to M x M, for scoring at the mask's size. */
function upsample(logits: Float32Array, L: number, M: number): Float32Array {
  if (L === M) return logits;
  const r = halfPixelMatrix(M, L);
  const tmp = new Float32Array(L * M);
  for (let y = 0; y < L; y++)
    for (let x = 0; x < M; x++) {
      let v = 0;
      for (let j = 0; j < L; j++) v += r[x * L + j]! * logits[y * L + j]!;
      tmp[y * M + x] = v;
    }
  const out = new Float32Array(M * M);
  for (let y = 0; y < M; y++)
    for (let x = 0; x < M; x++) {
      let v = 0;
      for (let j = 0; j < L; j++) v += r[y * L + j]! * tmp[j * M + x]!;
      out[y * M + x] = v;
    }
  return out;
}

function pack(rows: Point[][]): { coords: Float32Array; labels: Float32Array; n: number } {
  const n = rows[0]!.length;
  const coords = new Float32Array(rows.length * n * 2);
  const labels = new Float32Array(rows.length * n);
  rows.forEach((ps, i) =>
    ps.forEach((p, j) => {
      coords[(i * n + j) * 2] = p.x;
      coords[(i * n + j) * 2 + 1] = p.y;
      labels[i * n + j] = p.label;
    }),
  );
  return { coords, labels, n };
}

/**
 * Held-out evaluation: mIoU after 1 click, after 1 box, after up to `maxClicks` corrective clicks, and
 * the predicted-IoU calibration error. Deterministic (no sampling: clicks go to the deepest pixel).
 */
export async function evaluate(
  c: DecoderConfig,
  decode: DecodeFn,
  samples: readonly MaskSample[],
  opts: EvalOptions = {},
): Promise<EvalResult> {
  const t0 = performance.now();
  const groups = groupSamples(samples, c, 1);
  const maxClicks = opts.maxClicks ?? 5;
  const per = opts.batch ?? 16;
  const K = c.numMultimaskOutputs + 1;
  const L = 4 * c.embeddingSize;
  const frame = c.inputSize;
  let n = 0;
  let sumBox = 0;
  let calib = 0;
  let calibN = 0;
  const sumClicks = new Array<number>(maxClicks).fill(0);

  for (const g of groups) {
    for (let start = 0; start < g.masks.length; start += per) {
      const masks: BinaryMask[] = g.masks.slice(start, start + per);
      const B = masks.length;
      const M = masks[0]!.width;
      const score = (lowRes: Float32Array, row: number, k: number, m: BinaryMask) => {
        const lg = upsample(lowRes.subarray((row * K + k) * L * L, (row * K + k + 1) * L * L), L, M);
        return { iou: maskIou(lg, m.data, 1, M * M)[0]!, pred: Uint8Array.from(lg, (v) => (v > 0 ? 1 : 0)) };
      };

      // one box -> token 0
      const boxes = masks.map((m) => {
        const [x0, y0, x1, y1] = maskBoxInFrame(m, frame);
        return [
          { x: x0, y: y0, label: 2 },
          { x: x1, y: y1, label: 3 },
        ];
      });
      const pb = pack(boxes);
      const rb = await decode(g.embedding, pb.coords, pb.labels, B, pb.n, null);
      masks.forEach((m, i) => {
        const iou = score(rb.lowRes, i, 0, m).iou;
        sumBox += iou;
        calib += Math.abs(rb.iou[i * K]! - iou);
        calibN++;
      });

      // clicks: the first is multimask (best predicted IoU of tokens 1..K-1), then token 0 with mask prompt
      const rows: Point[][] = masks.map((m) => [centerClick(m, frame), { x: 0, y: 0, label: -1 }]);
      let prev: Float32Array | null = null;
      for (let click = 0; click < maxClicks; click++) {
        const p = pack(rows);
        const r = await decode(g.embedding, p.coords, p.labels, B, p.n, prev);
        const next = new Float32Array(B * L * L);
        masks.forEach((m, i) => {
          let k = 0;
          if (click === 0) {
            k = 1;
            for (let j = 2; j < K; j++) if (r.iou[i * K + j]! > r.iou[i * K + k]!) k = j;
          }
          const sc = score(r.lowRes, i, k, m);
          sumClicks[click]! += sc.iou;
          if (click === 0) {
            calib += Math.abs(r.iou[i * K + k]! - sc.iou);
            calibN++;
          }
          next.set(r.lowRes.subarray((i * K + k) * L * L, (i * K + k + 1) * L * L), i * L * L);
          rows[i]!.push(correctiveClick(sc.pred, m, frame) ?? { x: 0, y: 0, label: -1 });
        });
        prev = next;
      }
      n += B;
    }
  }
  return {
    masks: n,
    images: groups.length,
    mIoU1Click: sumClicks[0]! / n,
    mIoUBox: sumBox / n,
    mIoUClicks: sumClicks.map((s) => s / n),
    iouCalibrationMae: calib / calibN,
    elapsedMs: performance.now() - t0,
  };
}
