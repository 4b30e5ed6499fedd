import { MaskInputError, RleFormatError } from "./errors.ts";
import type { BinaryMask, RleSize } from "./types.ts";

function isDim(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0;
}

/** Throws MaskInputError unless `mask` is a well-formed row-major binary mask. */
export function assertMask(mask: BinaryMask, what = "mask"): void {
  if (mask === null || typeof mask !== "object") throw new MaskInputError(`${what} must be an object`);
  const { height, width, data } = mask;
  if (!isDim(height) || !isDim(width)) {
    throw new MaskInputError(`${what} height/width must be non-negative integers, got ${height}x${width}`);
  }
  if (!(data instanceof Uint8Array)) throw new MaskInputError(`${what}.data must be a Uint8Array`);
  if (data.length !== height * width) {
    throw new MaskInputError(
      `${what}.data has ${data.length} bytes but ${height}x${width} needs ${height * width}`,
    );
  }
}

/** Throws RleFormatError unless `size` is `[h, w]` with non-negative integers. */
export function assertRleSize(size: unknown): asserts size is RleSize {
  if (!Array.isArray(size) || size.length !== 2 || !isDim(size[0]) || !isDim(size[1])) {
    throw new RleFormatError(`RLE size must be [height, width] of non-negative integers, got ${JSON.stringify(size)}`);
  }
}

/** Throws MaskInputError when two masks differ in size. */
export function assertSameSize(a: BinaryMask, b: BinaryMask): void {
  if (a.height !== b.height || a.width !== b.width) {
    throw new MaskInputError(`mask sizes differ: ${a.height}x${a.width} vs ${b.height}x${b.width}`);
  }
}
