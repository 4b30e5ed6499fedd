import type { DecoderConfig } from "@data-engine/sam-core";
import { groupSamples, type MaskSample } from "../dataset.ts";
import type { DecodeFn } from "../evaluate.ts";
import { maskIou } from "../loss.ts";
import { centerClick } from "../simulate.ts";

export interface PromptProbe {
  /** Mean IoU of the 1-click answer with the clicked object. */
  own: number;
  /** Mean IoU of the same answer with the other objects of its image. */
  others: number;
  objects: number;
}

/**
 * Does the mask follow the click? Each object of a multi-object image is clicked at its centre; the
 * answer (best predicted IoU of the multimask tokens) is scored against the clicked object and against
 * the image's other objects. A prompt-independent model scores about the same on both. Samples must
 * be at the low-res grid (4 x embedding side).
 */
export async function promptProbe(
  c: DecoderConfig,
  decode: DecodeFn,
  samples: readonly MaskSample[],
): Promise<PromptProbe> {
  const K = c.numMultimaskOutputs + 1;
  const L = 4 * c.embeddingSize;
  let own = 0;
  let others = 0;
  let pairs = 0;
  let n = 0;
  for (const g of groupSamples(samples, c, 1)) {
    if (g.masks.length < 2) continue;
    const B = g.masks.length;
    const coords = new Float32Array(B * 4);
    const labels = new Float32Array(B * 2);
    g.masks.forEach((m, i) => {
      const p = centerClick(m, c.inputSize);
      coords.set([p.x, p.y, 0, 0], i * 4);
      labels.set([1, -1], i * 2);
    });
    const r = await decode(g.embedding, coords, labels, B, 2, null);
    g.masks.forEach((m, i) => {
      let k = 1;
      for (let j = 2; j < K; j++) if (r.iou[i * K + j]! > r.iou[i * K + k]!) k = j;
      const lg = r.lowRes.subarray((i * K + k) * L * L, (i * K + k + 1) * L * L);
      own += maskIou(lg, m.data, 1, L * L)[0]!;
      n++;
      g.masks.forEach((o, j) => {
        if (j === i) return;
        others += maskIou(lg, o.data, 1, L * L)[0]!;
        pairs++;
      });
    });
  }
  return { own: own / n, others: others / pairs, objects: n };
}
