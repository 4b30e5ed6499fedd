// Short-lived HMAC tokens standing in for presigned URLs on the local backend: the web app hands out
// `/api/files/<key>?token=<token>` and verifies the token before serving the file.
// Token = "<expiresAtUnixSeconds>.<base64url HMAC-SHA256(secret, v1 NUL method NUL key NUL expires)>".
// Only digits, ".", "-" and "_" appear, so it needs no escaping in a query string.
import { createHmac, timingSafeEqual } from "node:crypto";
import { isValidKey, validateKey } from "./keys.ts";
import { StorageConfigError } from "./storage.ts";
import type { SignedUrlMethod } from "./storage.ts";

export const MIN_SECRET_BYTES = 16;

export interface LocalUrlSigner {
  /** A token for `key` and `method`, valid for `expiresInSeconds` from now. */
  sign(key: string, method: SignedUrlMethod, expiresInSeconds: number): string;
  /** True only for an unexpired token minted with the same secret for exactly this key and method. */
  verify(key: string, method: SignedUrlMethod, token: string): boolean;
}

export interface LocalUrlSignerOptions {
  /** Clock in milliseconds (tests inject one). */
  now?: () => number;
}

const METHODS: ReadonlySet<string> = new Set(["GET", "PUT"]);
const TOKEN = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/;

export function createLocalUrlSigner(
  secret: string | Uint8Array,
  opts: LocalUrlSignerOptions = {},
): LocalUrlSigner {
  const secretBytes = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
  if (secretBytes.byteLength < MIN_SECRET_BYTES) {
    throw new StorageConfigError(
      `URL signing secret is too short (${secretBytes.byteLength} bytes, need at least ${MIN_SECRET_BYTES})`,
    );
  }
  const now = opts.now ?? Date.now;

  const mac = (key: string, method: string, expires: string): Buffer =>
    createHmac("sha256", secretBytes).update(`v1\0${method}\0${key}\0${expires}`, "utf8").digest();

  return {
    sign(key, method, expiresInSeconds) {
      validateKey(key);
      if (!METHODS.has(method))
        throw new TypeError(`sign(): method must be "GET" or "PUT", got ${JSON.stringify(method)}`);
      if (!Number.isFinite(expiresInSeconds) || expiresInSeconds <= 0) {
        throw new RangeError(`sign(): expiresInSeconds must be a positive number, got ${expiresInSeconds}`);
      }
      const expires = String(Math.ceil(now() / 1000 + expiresInSeconds));
      return `${expires}.${mac(key, method, expires).toString("base64url")}`;
    },
    verify(key, method, token) {
      if (typeof token !== "string" || !METHODS.has(method) || !isValidKey(key)) return false;
      const match = TOKEN.exec(token);
      if (!match) return false;
      const [, expires, signature] = match;
      // Compare the encoded text, not decoded bytes: base64 has several spellings of the same bytes
      // (unused low bits in the last character), and only the canonical one is the token we issued.
      const given = Buffer.from(signature, "ascii");
      const expected = Buffer.from(mac(key, method, expires).toString("base64url"), "ascii");
      // Check the MAC before the clock, in constant time, so timing reveals nothing about it.
      const authentic = given.byteLength === expected.byteLength && timingSafeEqual(given, expected);
      return authentic && Number(expires) * 1000 > now();
    },
  };
}
