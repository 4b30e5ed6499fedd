"use client";
// One proposed mask over its image on a canvas: the photo scaled to fit, the decoded mask filled with
// its label colour (only the box around the mask is rasterised, so large photos stay cheap), and the
// box outlined. With `zoom`, the view is cropped to the mask's box plus some context (grid tiles).
import { useEffect, useMemo, useRef, useState } from "react";
import { decodeMaskRle, overlayPixels, UNLABELLED_COLOR } from "./mask-raster.ts";
import { loadImage } from "./image-cache.ts";

export interface MaskViewItem {
  id: string;
  rle: string;
  bbox: number[];
  image: { url: string; width: number; height: number; fileName: string };
  labelClass: { color: string } | null;
}

interface Props {
  item: MaskViewItem;
  maxWidth: number;
  maxHeight: number;
  zoom?: boolean;
  className?: string;
}

function cropBox(bbox: number[], w: number, h: number): [number, number, number, number] {
  const [bx = 0, by = 0, bw = w, bh = h] = bbox;
  const x0 = Math.max(0, Math.floor(bx));
  const y0 = Math.max(0, Math.floor(by));
  const x1 = Math.min(w, Math.ceil(bx + bw));
  const y1 = Math.min(h, Math.ceil(by + bh));
  return [x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0)];
}

export function MaskView({ item, maxWidth, maxHeight, zoom = false, className }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [drawn, setDrawn] = useState(false);
  const { width: W, height: H } = item.image;
  const color = item.labelClass?.color ?? UNLABELLED_COLOR;

  // The overlay, as a canvas the size of the mask's box.
  const overlay = useMemo(() => {
    try {
      const mask = decodeMaskRle(item.rle, H, W);
      const [x0, y0, cw, ch] = cropBox(item.bbox, W, H);
      const crop = new Uint8Array(cw * ch);
      for (let y = 0; y < ch; y++) crop.set(mask.data.subarray((y0 + y) * W + x0, (y0 + y) * W + x0 + cw), y * cw);
      const pixels = overlayPixels({ width: cw, height: ch, data: crop }, color);
      const c = document.createElement("canvas");
      c.width = cw;
      c.height = ch;
      c.getContext("2d")!.putImageData(new ImageData(pixels as Uint8ClampedArray<ArrayBuffer>, cw, ch), 0, 0);
      return { canvas: c, box: [x0, y0, cw, ch] as const, error: null };
    } catch (err) {
      return { canvas: null, box: null, error: `Cannot draw mask ${item.id}: ${(err as Error).message}` };
    }
  }, [item.id, item.rle, item.bbox, W, H, color]);

  // The part of the image shown: all of it, or the mask's box with as much context again around it.
  const view = useMemo(() => {
    if (!zoom) return [0, 0, W, H] as const;
    const [bx, by, bw, bh] = cropBox(item.bbox, W, H);
    const side = Math.max(bw, bh) * 2 + 16;
    const vw = Math.min(W, side);
    const vh = Math.min(H, side);
    const vx = Math.max(0, Math.min(W - vw, bx + bw / 2 - vw / 2));
    const vy = Math.max(0, Math.min(H - vh, by + bh / 2 - vh / 2));
    return [vx, vy, vw, vh] as const;
  }, [zoom, item.bbox, W, H]);

  const scale = Math.min(maxWidth / view[2], maxHeight / view[3]);
  const cssW = Math.max(1, Math.round(view[2] * scale));
  const cssH = Math.max(1, Math.round(view[3] * scale));

  useEffect(() => {
    let cancelled = false;
    const canvas = canvasRef.current;
    if (!canvas) return;
    const dpr = typeof window === "undefined" ? 1 : Math.min(2, window.devicePixelRatio || 1);
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
    const ctx = canvas.getContext("2d")!;
    setDrawn(false);
    loadImage(item.image.url).then(
      (img) => {
        if (cancelled) return;
        const k = (cssW * dpr) / view[2];
        ctx.setTransform(k, 0, 0, k, -view[0] * k, -view[1] * k);
        ctx.clearRect(view[0], view[1], view[2], view[3]);
        ctx.drawImage(img, 0, 0, W, H);
        if (overlay.canvas && overlay.box) {
          const [x0, y0, cw, ch] = overlay.box;
          ctx.imageSmoothingEnabled = false;
          ctx.drawImage(overlay.canvas, x0, y0, cw, ch);
          ctx.imageSmoothingEnabled = true;
          ctx.setLineDash([6 / k, 4 / k]);
          ctx.lineWidth = 1.5 / k;
          ctx.strokeStyle = color;
          ctx.strokeRect(x0, y0, cw, ch);
        }
        setError(overlay.error);
        setDrawn(true);
      },
      (err: Error) => !cancelled && setError(err.message),
    );
    return () => {
      cancelled = true;
    };
  }, [item.image.url, W, H, overlay, view, cssW, cssH, color]);

  return (
    <div className={className}>
      <canvas
        ref={canvasRef}
        data-testid="mask-canvas"
        data-mask-id={item.id}
        data-drawn={drawn}
        style={{ width: cssW, height: cssH, display: "block", background: "#e9edf2" }}
        aria-label={`Proposed mask on ${item.image.fileName}`}
        role="img"
      />
      {error && <p className="error" role="alert">{error}</p>}
    </div>
  );
}
