import { scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  hashPassword,
  maxPasswordLength,
  PasswordError,
  passwordNeedsRehash,
  verifyPassword,
} from "../src/index.ts";

const format = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

describe("passwords", () => {
  it("hashes to scrypt$N$r$p$salt$hash with N=2^15, r=8, p=1, a 16-byte salt", async () => {
    const stored = await hashPassword("correct horse battery staple");
    const match = format.exec(stored);
    expect(match).not.toBeNull();
    const [, N, r, p, salt, hash] = match as RegExpExecArray;
    expect([Number(N), Number(r), Number(p)]).toEqual([2 ** 15, 8, 1]);
    expect(Buffer.from(salt as string, "base64")).toHaveLength(16);
    // Independent derivation with Node's scrypt from the stored parameters.
    const expected = scryptSync("correct horse battery staple", Buffer.from(salt as string, "base64"), 32, {
      N: Number(N),
      r: Number(r),
      p: Number(p),
      maxmem: 64 * 1024 * 1024,
    });
    expect(Buffer.from(hash as string, "base64").equals(expected)).toBe(true);
  });

  it("verifies the right password and rejects others", async () => {
    const stored = await hashPassword("s3cret!");
    expect(await verifyPassword("s3cret!", stored)).toBe(true);
    expect(await verifyPassword("s3cret", stored)).toBe(false);
    expect(await verifyPassword("S3cret!", stored)).toBe(false);
  });

  it("salts every hash", async () => {
    const [a, b] = await Promise.all([hashPassword("same"), hashPassword("same")]);
    expect(a).not.toBe(b);
    expect(await verifyPassword("same", a)).toBe(true);
    expect(await verifyPassword("same", b)).toBe(true);
  });

  it("treats canonically equivalent Unicode spellings as the same password", async () => {
    const composed = "caf\u00e9";
    const decomposed = "cafe\u0301";
    const stored = await hashPassword(composed);
    expect(await verifyPassword(decomposed, stored)).toBe(true);
  });

  it("accepts hashes made with other cost parameters", async () => {
    const salt = Buffer.alloc(16, 7);
    const hash = scryptSync("legacy", salt, 32, { N: 2 ** 10, r: 8, p: 1 });
    const stored = `scrypt$1024$8$1$${salt.toString("base64")}$${hash.toString("base64")}`;
    expect(await verifyPassword("legacy", stored)).toBe(true);
    expect(passwordNeedsRehash(stored)).toBe(true);
    expect(passwordNeedsRehash(await hashPassword("fresh"))).toBe(false);
  });

  it("rejects tampered, malformed and absurd stored values as mismatches", async () => {
    const stored = await hashPassword("pw");
    const parts = stored.split("$");
    const flipped = Buffer.from(parts[5] as string, "base64");
    flipped[0] = (flipped[0] as number) ^ 1;
    const tampered = [...parts.slice(0, 5), flipped.toString("base64")].join("$");
    expect(await verifyPassword("pw", tampered)).toBe(false);
    for (const bad of [
      "",
      "plaintext",
      "bcrypt$10$abc",
      stored.replace("scrypt$32768", "scrypt$1000"), // N not a power of two
      stored.replace("scrypt$32768", `scrypt$${2 ** 30}`), // would need gigabytes
      stored.replace("$8$1$", "$8$99$"),
      `${stored}$extra`,
    ]) {
      expect(await verifyPassword("pw", bad), bad).toBe(false);
    }
    expect(await verifyPassword("pw", null)).toBe(false);
    expect(await verifyPassword("pw", undefined)).toBe(false);
  });

  it("refuses to hash empty or oversized passwords, and never matches them", async () => {
    await expect(hashPassword("")).rejects.toBeInstanceOf(PasswordError);
    const huge = "x".repeat(maxPasswordLength + 1);
    await expect(hashPassword(huge)).rejects.toThrow(
      `Password is longer than ${maxPasswordLength} characters`,
    );
    await expect(hashPassword(42 as unknown as string)).rejects.toThrow("Password must be a string");
    const stored = await hashPassword("x".repeat(maxPasswordLength));
    expect(await verifyPassword("x".repeat(maxPasswordLength), stored)).toBe(true);
    expect(await verifyPassword(huge, stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });
});
