import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { StorageConfigError, StorageKeyError, createLocalUrlSigner } from "../src/index.ts";

const SECRET = "0123456789abcdef0123456789abcdef";

function clock(startMs: number) {
  const c = { t: startMs, now: () => c.t };
  return c;
}

describe("createLocalUrlSigner", () => {
  it("issues a query-string-safe token that verifies for the same key and method", () => {
    const c = clock(1_700_000_000_000);
    const signer = createLocalUrlSigner(SECRET, { now: c.now });
    const token = signer.sign("images/a b.png", "GET", 60);
    expect(token).toMatch(/^\d+\.[A-Za-z0-9_-]+$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(signer.verify("images/a b.png", "GET", token)).toBe(true);
    // A second signer with the same secret (another process) accepts it too.
    expect(createLocalUrlSigner(SECRET, { now: c.now }).verify("images/a b.png", "GET", token)).toBe(true);
  });

  it("encodes the expiry as Unix seconds and an HMAC-SHA256 of method, key and expiry", () => {
    const signer = createLocalUrlSigner(SECRET, { now: () => 1_700_000_000_000 });
    const token = signer.sign("k.txt", "PUT", 90);
    const [expires, sig] = token.split(".");
    expect(expires).toBe("1700000090");
    const expected = createHmac("sha256", SECRET)
      .update("v1\0PUT\0k.txt\0" + "1700000090")
      .digest("base64url");
    expect(sig).toBe(expected);
  });

  it("expires: valid until the deadline, invalid from it on", () => {
    const c = clock(1_700_000_000_000);
    const signer = createLocalUrlSigner(SECRET, { now: c.now });
    const token = signer.sign("k.txt", "GET", 30);
    c.t += 29_999;
    expect(signer.verify("k.txt", "GET", token)).toBe(true);
    c.t += 1;
    expect(signer.verify("k.txt", "GET", token)).toBe(false);
    c.t += 3_600_000;
    expect(signer.verify("k.txt", "GET", token)).toBe(false);
  });

  it("rejects tampering with the key, method, expiry or signature, and other secrets", () => {
    const c = clock(1_700_000_000_000);
    const signer = createLocalUrlSigner(SECRET, { now: c.now });
    const token = signer.sign("a/k.txt", "GET", 60);
    const [expires, sig] = token.split(".");
    expect(signer.verify("a/k2.txt", "GET", token)).toBe(false);
    expect(signer.verify("a/K.txt", "GET", token)).toBe(false);
    expect(signer.verify("a/k.txt", "PUT", token)).toBe(false);
    expect(signer.verify("a/k.txt", "GET", `${Number(expires) + 3600}.${sig}`)).toBe(false);
    for (let i = 0; i < sig.length; i++) {
      const flipped = sig.slice(0, i) + (sig[i] === "A" ? "B" : "A") + sig.slice(i + 1);
      expect(signer.verify("a/k.txt", "GET", `${expires}.${flipped}`), `char ${i}`).toBe(false);
    }
    const other = createLocalUrlSigner("another secret, also long enough", { now: c.now });
    expect(other.verify("a/k.txt", "GET", token)).toBe(false);
  });

  it("rejects malformed tokens and invalid keys without throwing", () => {
    const signer = createLocalUrlSigner(SECRET);
    const token = signer.sign("k.txt", "GET", 60);
    for (const bad of [
      "",
      ".",
      token + "x",
      token.slice(0, -1),
      token.replace(".", ""),
      `x${token}`,
      `${token}.1`,
    ]) {
      expect(signer.verify("k.txt", "GET", bad), bad).toBe(false);
    }
    expect(signer.verify("../k.txt", "GET", token)).toBe(false);
    expect(signer.verify("k.txt", "DELETE" as "GET", token)).toBe(false);
  });

  it("validates its inputs", () => {
    expect(() => createLocalUrlSigner("short")).toThrow(StorageConfigError);
    expect(() => createLocalUrlSigner("short")).toThrow(
      "URL signing secret is too short (5 bytes, need at least 16)",
    );
    const signer = createLocalUrlSigner(SECRET);
    expect(() => signer.sign("/abs", "GET", 60)).toThrow(StorageKeyError);
    expect(() => signer.sign("k", "GET", 0)).toThrow(/expiresInSeconds must be a positive number/);
    expect(() => signer.sign("k", "GET", Number.NaN)).toThrow(RangeError);
  });
});
