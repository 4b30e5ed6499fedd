import type { Size } from "./preprocess.ts";
import { resizedSize } from "./preprocess.ts";

/**
 * Maps `[x, y]` points from the original image frame to the resized (encoder input) frame:
 * x * newW / oldW, y * newH / oldH, where the new size follows the longest-side rule.
 */
export function applyCoords(points: readonly (readonly [number, number])[], original: Size, inputSize: number): [number, number][] {
  const { height: newH, width: newW } = resizedSize(original, inputSize);
  const sx = newW / original.width;
  const sy = newH / original.height;
  return points.map(([x, y]) => [x * sx, y * sy]);
}

/** Maps `[x0, y0, x1, y1]` boxes like `applyCoords` does its two corners. */
export function applyBoxes(
  boxes: readonly (readonly [number, number, number, number])[],
  original: Size,
  inputSize: number,
): [number, number, number, number][] {
  return boxes.map(([x0, y0, x1, y1]) => {
    const [[a, b], [c, d]] = applyCoords(
      [
        [x0, y0],
        [x1, y1],
      ],
      original,
      inputSize,
    );
    return [a!, b!, c!, d!] as [number, number, number, number];
  });
}
