// Draws one frame of the annotator stage: the photo, the existing masks, the draft, the hover preview,
// then the prompts on top at a constant on-screen size.
import { DEFAULT_FRAME_SIDE } from "../raster/frame.ts";
import type { Box, PromptPoint } from "../state/draft.ts";
import type { View } from "../view/transform.ts";

export interface Layers {
  image: HTMLImageElement | null;
  others: HTMLCanvasElement | null;
  draft: HTMLCanvasElement | null;
  hover: HTMLCanvasElement | null;
}

export interface Overlay {
  points: readonly PromptPoint[];
  box: Box | null;
  /** A box being dragged (image pixels). */
  dragBox: Box | null;
  /** A brush/eraser stroke being drawn (image pixels). */
  stroke: { points: readonly (readonly [number, number])[]; radius: number; erase: boolean } | null;
  /** Pen outline under the pointer (image pixels). */
  pen: { x: number; y: number; radius: number } | null;
  showOthers: boolean;
}

export function drawStage(canvas: HTMLCanvasElement, view: View, size: { width: number; height: number }, layers: Layers, o: Overlay): void {
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const dpr = canvas.width / Math.max(1, canvas.clientWidth);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#1b2233";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const s = view.scale * dpr;
  ctx.setTransform(s, 0, 0, s, view.tx * dpr, view.ty * dpr);
  ctx.imageSmoothingEnabled = view.scale < 2;
  if (layers.image?.complete && layers.image.naturalWidth > 0) ctx.drawImage(layers.image, 0, 0, size.width, size.height);
  // Mask layers on the work frame are at most the image's resolution: no smoothing keeps their edges
  // honest when zoomed. A live SAM mask drawn from the low-res logits is stretched with smoothing instead.
  const smoothIfCoarse = (layer: HTMLCanvasElement) => {
    ctx.imageSmoothingEnabled = layer.width * 2 < Math.min(size.width, DEFAULT_FRAME_SIDE);
  };
  if (o.showOthers && layers.others) {
    smoothIfCoarse(layers.others);
    ctx.drawImage(layers.others, 0, 0, size.width, size.height);
  }
  if (layers.draft) {
    smoothIfCoarse(layers.draft);
    ctx.drawImage(layers.draft, 0, 0, size.width, size.height);
  }
  if (layers.hover) {
    smoothIfCoarse(layers.hover);
    ctx.globalAlpha = 0.55;
    ctx.drawImage(layers.hover, 0, 0, size.width, size.height);
    ctx.globalAlpha = 1;
  }
  const px = 1 / view.scale;
  if (o.stroke && o.stroke.points.length) {
    ctx.strokeStyle = o.stroke.erase ? "rgba(255,255,255,0.7)" : "rgba(0,200,255,0.6)";
    ctx.lineWidth = 2 * o.stroke.radius;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    const [x0, y0] = o.stroke.points[0]!;
    ctx.moveTo(x0, y0);
    for (const [x, y] of o.stroke.points) ctx.lineTo(x, y);
    if (o.stroke.points.length === 1) ctx.lineTo(x0 + 0.01, y0);
    ctx.stroke();
  }
  for (const b of [o.box, o.dragBox]) {
    if (!b) continue;
    ctx.lineWidth = 2 * px;
    ctx.strokeStyle = "#ffd400";
    ctx.setLineDash(b === o.dragBox ? [6 * px, 4 * px] : []);
    ctx.strokeRect(b[0], b[1], b[2] - b[0], b[3] - b[1]);
    ctx.setLineDash([]);
  }
  for (const p of o.points) {
    ctx.beginPath();
    ctx.arc(p.x, p.y, 5 * px, 0, Math.PI * 2);
    ctx.fillStyle = p.label === 1 ? "#19c37d" : "#ff3b30";
    ctx.fill();
    ctx.lineWidth = 1.5 * px;
    ctx.strokeStyle = "#fff";
    ctx.stroke();
  }
  if (o.pen) {
    ctx.beginPath();
    ctx.arc(o.pen.x, o.pen.y, o.pen.radius, 0, Math.PI * 2);
    ctx.lineWidth = 1.5 * px;
    ctx.strokeStyle = "#fff";
    ctx.stroke();
  }
}

/** Puts worker-rendered RGBA into a layer canvas of the frame's size (created or resized as needed). */
export function putLayer(layer: HTMLCanvasElement | null, rgba: Uint8ClampedArray, width: number, height: number): HTMLCanvasElement {
  const c = layer ?? document.createElement("canvas");
  if (c.width !== width || c.height !== height) {
    c.width = width;
    c.height = height;
  }
  c.getContext("2d")!.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
  return c;
}
