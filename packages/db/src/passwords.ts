// Password hashing with scrypt (Node's crypto), stored as "scrypt$N$r$p$saltB64$hashB64" so that the
// cost parameters travel with each hash and can be raised later without invalidating old ones.
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import type { ScryptOptions } from "node:crypto";

export class PasswordError extends Error {
  override name = "PasswordError";
}

const defaults = { N: 2 ** 15, r: 8, p: 1 };
const saltBytes = 16;
const hashBytes = 32;
// Beyond this a "password" is an attack on the CPU, not a credential.
export const maxPasswordLength = 1024;

function derive(
  plain: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  length: number,
): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is exactly the default cost, so raise it.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(plain.normalize("NFC"), salt, length, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

function checkPlain(plain: unknown): asserts plain is string {
  if (typeof plain !== "string") throw new PasswordError("Password must be a string");
  if (plain.length === 0) throw new PasswordError("Password must not be empty");
  if (plain.length > maxPasswordLength) {
    throw new PasswordError(`Password is longer than ${maxPasswordLength} characters`);
  }
}

export async function hashPassword(plain: string): Promise<string> {
  checkPlain(plain);
  const salt = randomBytes(saltBytes);
  const { N, r, p } = defaults;
  const hash = await derive(plain, salt, N, r, p, hashBytes);
  return ["scrypt", N, r, p, salt.toString("base64"), hash.toString("base64")].join("$");
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const dummySalt = randomBytes(saltBytes);

const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

function parse(stored: string): ParsedHash | undefined {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return undefined;
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^\d{1,10}$/.test(part) ? Number(part) : NaN));
  const [saltText, hashText] = [parts[4] ?? "", parts[5] ?? ""];
  if (N === undefined || r === undefined || p === undefined) return undefined;
  // Cost bounds keep a tampered or absurd row from pinning the CPU or exhausting memory.
  const powerOfTwo = Number.isInteger(N) && N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > 2 ** 20 || !(r >= 1 && r <= 32) || !(p >= 1 && p <= 16)) return undefined;
  if (!base64.test(saltText) || !base64.test(hashText)) return undefined;
  const salt = Buffer.from(saltText, "base64");
  const hash = Buffer.from(hashText, "base64");
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return undefined;
  return { N, r, p, salt, hash };
}

/**
 * True when `plain` matches `stored`. A malformed stored value or an absurd input is a mismatch, not an
 * exception, so that sign-in answers "wrong credentials" either way.
 */
export async function verifyPassword(plain: string, stored: string | null | undefined): Promise<boolean> {
  if (typeof plain !== "string" || plain.length === 0 || plain.length > maxPasswordLength) return false;
  const parsed = typeof stored === "string" ? parse(stored) : undefined;
  if (parsed === undefined) {
    // Same work as a real check, so response time does not reveal which accounts exist.
    await derive(plain, dummySalt, defaults.N, defaults.r, defaults.p, hashBytes);
    return false;
  }
  const candidate = await derive(plain, parsed.salt, parsed.N, parsed.r, parsed.p, parsed.hash.length);
  return timingSafeEqual(candidate, parsed.hash);
}

/** True when `stored` was hashed with weaker parameters than today's and should be re-hashed at sign-in. */
export function passwordNeedsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return (
    parsed === undefined || parsed.N < defaults.N || parsed.r < defaults.r || parsed.hash.length < hashBytes
  );
}
