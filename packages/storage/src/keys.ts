// Keys are relative, "/"-separated paths. The rules are strict enough that a key maps to exactly one
// file under the local root (no escaping it, no two spellings of one path) and is a valid S3 key.
import { StorageKeyError } from "./storage.ts";

/** S3's limit on key length, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

// NUL and the other C0 control characters, and DEL: never meaningful in a path, and a source of
// header/log injection when keys end up in URLs or messages.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function checkPath(value: unknown, isPrefix: boolean): string {
  if (typeof value !== "string") throw new StorageKeyError(value, "must be a string");
  if (value === "") {
    if (isPrefix) return value;
    throw new StorageKeyError(value, "must not be empty");
  }
  if (CONTROL_CHARS.test(value))
    throw new StorageKeyError(value, "must not contain NUL or control characters");
  if (value.includes("\\")) throw new StorageKeyError(value, 'must not contain backslashes (use "/")');
  if (value.startsWith("/")) throw new StorageKeyError(value, 'must be relative (no leading "/")');
  if (/^[A-Za-z]:/.test(value)) throw new StorageKeyError(value, "must be relative (no drive letter)");
  if (Buffer.byteLength(value, "utf8") > MAX_KEY_BYTES) {
    throw new StorageKeyError(value, `must be at most ${MAX_KEY_BYTES} bytes of UTF-8`);
  }
  const segments = value.split("/");
  // A prefix may end with "/" ("images/"); its last segment may be partial, so only full segments count.
  const full = isPrefix ? segments.slice(0, -1) : segments;
  const last = segments[segments.length - 1];
  for (const segment of full) {
    if (segment === "")
      throw new StorageKeyError(value, 'must not contain empty segments ("//" or a trailing "/")');
  }
  for (const segment of isPrefix ? [...full, last] : full) {
    if (segment === "..") throw new StorageKeyError(value, 'must not contain ".." segments');
    if (segment === ".") throw new StorageKeyError(value, 'must not contain "." segments');
  }
  return value;
}

/** Returns the key unchanged, or throws StorageKeyError naming what is wrong with it. */
export function validateKey(key: unknown): string {
  return checkPath(key, false);
}

/** Like validateKey, but "" (everything) and a trailing "/" are allowed. */
export function validatePrefix(prefix: unknown): string {
  return checkPath(prefix, true);
}

export function isValidKey(key: unknown): key is string {
  try {
    validateKey(key);
    return true;
  } catch {
    return false;
  }
}
