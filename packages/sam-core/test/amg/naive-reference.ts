// A direct, unoptimised transcription of the reference automatic mask generator
// (segment_anything/automatic_mask_generator.py + utils/amg.py), working on full-resolution float
// masks exactly as the Python does: upsample every candidate to full size, filter, binarise, box,
// uncrop to the whole image, RLE. Written independently of src/amg (its own grids, crops, resize
// tables and boxes); it only borrows the mask toolkit's tested primitives (RLE, NMS, region clean-up).
import type { AmgDecoder, EncodeCrop } from "../../src/amg/decoder.ts";
import { nms } from "../../src/mask/boxes.ts";
import { removeSmallRegions } from "../../src/mask/regions.ts";
import { maskToRle, rleToMask } from "../../src/mask/rle.ts";
import type { BinaryMask, Box, Rle } from "../../src/mask/types.ts";

const f32 = Math.fround;

export interface NaiveParams {
  pointsPerSide: number;
  pointsPerBatch: number;
  predIouThresh: number;
  stabilityScoreThresh: number;
  stabilityScoreOffset: number;
  boxNmsThresh: number;
  cropNLayers: number;
  cropNmsThresh: number;
  cropOverlapRatio: number;
  cropNPointsDownscaleFactor: number;
  minMaskRegionArea: number;
}

export interface NaiveRecord {
  rle: Rle;
  area: number;
  bbox: [number, number, number, number];
  predicted_iou: number;
  point_coords: [[number, number]];
  stability_score: number;
  crop_box: [number, number, number, number];
}

function grid(n: number): [number, number][] {
  const offset = 1 / (2 * n);
  const side: number[] = [];
  for (let i = 0; i < n; i++) side.push(n === 1 ? offset : i * ((1 - offset - offset) / (n - 1)) + offset);
  if (n > 1) side[n - 1] = 1 - offset;
  const pts: [number, number][] = [];
  for (const y of side) for (const x of side) pts.push([x, y]);
  return pts;
}

function cropBoxes(h: number, w: number, nLayers: number, ratio: number): { box: Box; layer: number }[] {
  const out: { box: Box; layer: number }[] = [{ box: [0, 0, w, h], layer: 0 }];
  for (let i = 0; i < nLayers; i++) {
    const n = 2 ** (i + 1);
    const overlap = Math.floor(ratio * Math.min(h, w) * (2 / n));
    const cw = Math.ceil((overlap * (n - 1) + w) / n);
    const ch = Math.ceil((overlap * (n - 1) + h) / n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        const x0 = Math.floor((cw - overlap) * a);
        const y0 = Math.floor((ch - overlap) * b);
        out.push({ box: [x0, y0, Math.min(x0 + cw, w), Math.min(y0 + ch, h)], layer: i + 1 });
      }
    }
  }
  return out;
}

/** torch F.interpolate(bilinear, align_corners=False) of a [h, w] float32 map to [oh, ow] (test oracle, one pixel at a time). */
export function interpolate(src: Float32Array, h: number, w: number, oh: number, ow: number): Float32Array {
  const idx = (inSize: number, outSize: number, i: number) => {
    const scale = f32(inSize / outSize);
    let s = f32(f32(scale * f32(i + 0.5)) - 0.5);
    if (s < 0) s = 0;
    const i0 = Math.min(Math.floor(s), inSize - 1);
    const l1 = Math.min(Math.max(f32(s - i0), 0), 1);
    return { i0, i1: i0 < inSize - 1 ? i0 + 1 : i0, l0: f32(1 - l1), l1 };
  };
  const out = new Float32Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    const ry = idx(h, oh, y);
    for (let x = 0; x < ow; x++) {
      const rx = idx(w, ow, x);
      out[y * ow + x] = f32(
        ry.l0 * (rx.l0 * src[ry.i0 * w + rx.i0]! + rx.l1 * src[ry.i0 * w + rx.i1]!) +
          ry.l1 * (rx.l0 * src[ry.i1 * w + rx.i0]! + rx.l1 * src[ry.i1 * w + rx.i1]!),
      );
    }
  }
  return out;
}

function maskBox(m: BinaryMask): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      if (m.data[y * m.width + x]) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1, y1];
}

interface Row {
  rle: Rle;
  box: Box;
  iou: number;
  stab: number;
  point: [number, number];
  crop: Box;
}

export async function naiveGenerate(
  height: number,
  width: number,
  decoder: AmgDecoder,
  encodeCrop: EncodeCrop,
  p: NaiveParams,
): Promise<NaiveRecord[]> {
  const crops = cropBoxes(height, width, p.cropNLayers, p.cropOverlapRatio);
  let data: Row[] = [];
  for (const { box: crop, layer } of crops) {
    const [x0, y0, x1, y1] = crop;
    const cw = x1 - x0;
    const ch = y1 - y0;
    const emb = await encodeCrop(crop);
    const S = emb.inputSize;
    const scale = S / Math.max(ch, cw);
    const rh = Math.trunc(ch * scale + 0.5);
    const rw = Math.trunc(cw * scale + 0.5);
    const pts = grid(Math.trunc(p.pointsPerSide / p.cropNPointsDownscaleFactor ** layer)).map(
      ([gx, gy]) => [gx * cw, gy * ch] as [number, number],
    );
    const cropRows: Row[] = [];
    for (let b = 0; b < pts.length; b += p.pointsPerBatch) {
      const batch = pts.slice(b, b + p.pointsPerBatch);
      for (const [px, py] of batch) {
        // One prompt per run: the plainest way to call a decoder.
        const out = await decoder.decodeBatch(emb, Float32Array.of(px * (rw / cw), py * (rh / ch)), 1);
        const L = out.lowResHeight;
        for (let t = 1; t < out.numMasks; t++) {
          const low = out.lowResMasks.subarray(t * L * L, (t + 1) * L * L);
          // postprocess_masks: to S x S, drop the padding, to the crop size.
          const big = interpolate(low, L, L, S, S);
          const unpadded = new Float32Array(rh * rw);
          for (let y = 0; y < rh; y++) unpadded.set(big.subarray(y * S, y * S + rw), y * rw);
          const logits = interpolate(unpadded, rh, rw, ch, cw);
          const iou = out.iouPredictions[t]!;
          if (p.predIouThresh > 0 && !(iou > f32(p.predIouThresh))) continue;
          let inter = 0;
          let union = 0;
          for (const v of logits) {
            if (v > f32(p.stabilityScoreOffset)) inter++;
            if (v > f32(-p.stabilityScoreOffset)) union++;
          }
          const stab = union === 0 ? 0 : f32(inter / union);
          if (p.stabilityScoreThresh > 0 && !(stab >= f32(p.stabilityScoreThresh))) continue;
          const bin: BinaryMask = { height: ch, width: cw, data: Uint8Array.from(logits, (v) => (v > 0 ? 1 : 0)) };
          const box = maskBox(bin);
          const ub = [box[0] + x0, box[1] + y0, box[2] + x0, box[3] + y0];
          const near = ub.some((v, k) => Math.abs(v - crop[k]!) <= 20 && !(Math.abs(v - [0, 0, width, height][k]!) <= 20));
          if (near) continue;
          const full = new Uint8Array(height * width);
          for (let y = 0; y < ch; y++) full.set(bin.data.subarray(y * cw, (y + 1) * cw), (y + y0) * width + x0);
          cropRows.push({
            rle: maskToRle({ height, width, data: full }),
            box,
            iou,
            stab,
            point: [px + x0, py + y0],
            crop,
          });
        }
      }
    }
    const keep = nms(
      cropRows.map((r) => r.box),
      cropRows.map((r) => r.iou),
      p.boxNmsThresh,
    );
    for (const i of keep) {
      const r = cropRows[i]!;
      data.push({ ...r, box: [r.box[0] + x0, r.box[1] + y0, r.box[2] + x0, r.box[3] + y0] });
    }
  }
  if (crops.length > 1) {
    const scores = data.map((r) => f32(1 / ((r.crop[2] - r.crop[0]) * (r.crop[3] - r.crop[1]))));
    const keep = nms(
      data.map((r) => r.box),
      scores,
      p.cropNmsThresh,
    );
    data = keep.map((i) => data[i]!);
  }
  if (p.minMaskRegionArea > 0 && data.length > 0) {
    const masks: BinaryMask[] = [];
    const scores: number[] = [];
    for (const r of data) {
      const a = removeSmallRegions(rleToMask(r.rle), p.minMaskRegionArea, "holes");
      const b = removeSmallRegions(a.mask, p.minMaskRegionArea, "islands");
      masks.push(b.mask);
      scores.push(!a.changed && !b.changed ? 1 : 0);
    }
    const boxes = masks.map(maskBox);
    const keep = nms(boxes, scores, Math.max(p.boxNmsThresh, p.cropNmsThresh));
    data = keep.map((i) => (scores[i] === 0 ? { ...data[i]!, rle: maskToRle(masks[i]!), box: boxes[i]! } : data[i]!));
  }
  return data.map((r) => {
    let area = 0;
    for (let k = 1; k < r.rle.counts.length; k += 2) area += r.rle.counts[k]!;
    return {
      rle: r.rle,
      area,
      bbox: [r.box[0], r.box[1], r.box[2] - r.box[0], r.box[3] - r.box[1]],
      predicted_iou: r.iou,
      point_coords: [r.point],
      stability_score: r.stab,
      crop_box: [r.crop[0], r.crop[1], r.crop[2] - r.crop[0], r.crop[3] - r.crop[1]],
    };
  });
}
