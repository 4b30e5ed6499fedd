import { describe, expect, it } from "vitest";
import { MAX_KEY_BYTES, StorageKeyError, isValidKey, validateKey, validatePrefix } from "../src/index.ts";

describe("validateKey", () => {
  it("accepts relative /-separated paths and returns them unchanged", () => {
    for (const key of [
      "a",
      "a/b/c.png",
      "images/2024/IMG_0001.JPG",
      "dots.in.name..png",
      "..hidden",
      "é/日本.txt",
      "a b/c",
    ]) {
      expect(validateKey(key)).toBe(key);
      expect(isValidKey(key)).toBe(true);
    }
  });

  it.each([
    ["", /must not be empty/],
    ["/etc/passwd", /must be relative \(no leading "\/"\)/],
    ["C:/x", /no drive letter/],
    ["a/../b", /must not contain "\.\." segments/],
    ["..", /"\.\." segments/],
    ["a/..", /"\.\." segments/],
    ["./a", /"\." segments/],
    ["a\\b", /backslashes/],
    ["a\0b", /NUL or control characters/],
    ["a\nb", /NUL or control characters/],
    ["a//b", /empty segments/],
    ["a/", /empty segments/],
  ])("rejects %j", (key, reason) => {
    expect(() => validateKey(key)).toThrow(StorageKeyError);
    expect(() => validateKey(key)).toThrow(reason);
    expect(isValidKey(key)).toBe(false);
  });

  it("names the key in the message and rejects non-strings", () => {
    expect(() => validateKey("x/../y")).toThrow(
      'Invalid storage key "x/../y": must not contain ".." segments',
    );
    expect(() => validateKey(42)).toThrow("Invalid storage key 42: must be a string");
  });

  it("limits keys to S3's 1024 UTF-8 bytes", () => {
    expect(validateKey("a".repeat(MAX_KEY_BYTES))).toHaveLength(1024);
    expect(() => validateKey("a".repeat(MAX_KEY_BYTES + 1))).toThrow(/at most 1024 bytes/);
    // 342 three-byte characters = 1026 bytes, although only 342 UTF-16 units.
    expect(() => validateKey("日".repeat(342))).toThrow(/at most 1024 bytes/);
  });
});

describe("validatePrefix", () => {
  it("allows the empty prefix, a trailing slash and partial last segments", () => {
    for (const p of ["", "images/", "images/ab", "a/b/"]) expect(validatePrefix(p)).toBe(p);
  });
  it("still rejects escapes and bad characters", () => {
    for (const p of ["../", "a/../", "a/..", "/a", "a//", "a\\", "a\0"]) {
      expect(() => validatePrefix(p), p).toThrow(StorageKeyError);
    }
  });
});
