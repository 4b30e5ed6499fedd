/** Options for automatic mask generation that are out of range or inconsistent with each other. */
export class AmgOptionsError extends Error {
  override name = "AmgOptionsError";
}

/** An image, embedding or decoder output that automatic mask generation cannot work with. */
export class AmgInputError extends Error {
  override name = "AmgInputError";
}

/** Generation was cancelled through its AbortSignal. */
export class AmgAbortedError extends Error {
  override name = "AmgAbortedError";
}
