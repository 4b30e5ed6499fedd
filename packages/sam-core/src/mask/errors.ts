/** A COCO RLE (string or counts) that cannot describe a mask of its declared size. */
export class RleFormatError extends Error {
  override name = "RleFormatError";
}

/** A mask, box list or polygon whose shape or values do not fit what the function was given. */
export class MaskInputError extends Error {
  override name = "MaskInputError";
}
