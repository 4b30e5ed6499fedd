import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStorage } from "../src/index.ts";
import { LOCAL_TEMP_PREFIX, StorageConfigError, StorageKeyError, createLocalStorage } from "../src/index.ts";
import { storageContract } from "./contract.ts";
import { collect, seededBytes } from "./helpers.ts";

let dir: string;
let storage: LocalStorage;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "storage-local-"));
  storage = createLocalStorage({ root: path.join(dir, "files") });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("local backend: contract", () => {
  storageContract(() => storage, { byteOrderedList: true });
});

describe("local backend: files on disk", () => {
  it("creates the root when first needed and stores a key as the file root/<key>", async () => {
    const root = path.join(dir, "fresh", "nested", "files");
    const s = createLocalStorage({ root });
    expect(await collect(s.list(""))).toEqual([]);
    await s.put("a/b/c.txt", "hello");
    expect(await readFile(path.join(root, "a", "b", "c.txt"), "utf8")).toBe("hello");
    expect(s.kind).toBe("local");
  });

  it("guesses the content type from the extension", async () => {
    const s = createLocalStorage({ root: path.join(dir, "ctype") });
    await s.put("x/photo.JPG", "x");
    await s.put("x/mask.json", "{}");
    await s.put("x/noext", "x");
    expect((await s.head("x/photo.JPG"))?.contentType).toBe("image/jpeg");
    expect((await s.head("x/mask.json"))?.contentType).toBe("application/json");
    expect((await s.head("x/noext"))?.contentType).toBe("application/octet-stream");
  });

  it("a failed replacing put keeps the old bytes and leaves no temp file", async () => {
    const root = path.join(dir, "atomic1");
    const s = createLocalStorage({ root });
    await s.put("k/v.bin", "old bytes");
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(50_000, 1);
        throw new Error("disk gremlin");
      })(),
      { objectMode: false },
    );
    await expect(s.put("k/v.bin", failing)).rejects.toThrow("disk gremlin");
    expect(await readFile(path.join(root, "k", "v.bin"), "utf8")).toBe("old bytes");
    expect(await readdir(path.join(root, "k"))).toEqual(["v.bin"]);
  });

  it("while a put is in flight the final name holds the old bytes, the new ones only in a temp file", async () => {
    const root = path.join(dir, "atomic2");
    const s = createLocalStorage({ root });
    await s.put("f.bin", "old");
    const observed: string[] = [];
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 5; i++) {
          yield Buffer.alloc(10_000, i);
          // Look at the directory mid-write, from outside the storage code.
          observed.push(await readFile(path.join(root, "f.bin"), "utf8"));
          const names = await readdir(root);
          expect(names.filter((n) => n.startsWith(LOCAL_TEMP_PREFIX))).toHaveLength(1);
          expect(await collect(s.list(""))).toEqual([{ key: "f.bin", size: 3 }]);
        }
      })(),
      { objectMode: false },
    );
    await s.put("f.bin", source);
    expect(observed).toEqual(["old", "old", "old", "old", "old"]);
    expect((await stat(path.join(root, "f.bin"))).size).toBe(50_000);
    expect(await readdir(root)).toEqual(["f.bin"]);
  });

  it("writes a stream as it arrives instead of buffering it", async () => {
    const root = path.join(dir, "streaming");
    const s = createLocalStorage({ root });
    const chunk = 64 * 1024;
    const chunks = 64; // 4 MiB
    const tempSizes: number[] = [];
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < chunks; i++) {
          const temp = (await readdir(root).catch(() => [] as string[])).find((n) =>
            n.startsWith(LOCAL_TEMP_PREFIX),
          );
          tempSizes.push(temp ? (await stat(path.join(root, temp))).size : 0);
          yield seededBytes(chunk, i + 1);
        }
      })(),
      { objectMode: false, highWaterMark: chunk },
    );
    expect((await s.put("big.bin", source)).size).toBe(chunk * chunks);
    // When chunk i is requested, all but the few chunks in the stream's buffer are already on disk.
    for (let i = 8; i < chunks; i++) expect(tempSizes[i]).toBeGreaterThanOrEqual((i - 4) * chunk);
    const back = await s.getBytes("big.bin");
    for (let i = 0; i < chunks; i++) {
      expect(back.subarray(i * chunk, (i + 1) * chunk).equals(seededBytes(chunk, i + 1))).toBe(true);
    }
  });

  it("skips stray temp files in list() and refuses keys using the temp prefix", async () => {
    const root = path.join(dir, "stray");
    const s = createLocalStorage({ root });
    await s.put("d/real.txt", "r");
    await writeFile(path.join(root, "d", `${LOCAL_TEMP_PREFIX}deadbeef`), "half a file");
    expect(await collect(s.list(""))).toEqual([{ key: "d/real.txt", size: 1 }]);
    await expect(s.put(`d/${LOCAL_TEMP_PREFIX}x`, "x")).rejects.toBeInstanceOf(StorageKeyError);
    await expect(s.head(`${LOCAL_TEMP_PREFIX}x/y`)).rejects.toBeInstanceOf(StorageKeyError);
  });

  it("keys cannot be both a file and a directory", async () => {
    const s = createLocalStorage({ root: path.join(dir, "clash") });
    await s.put("a", "file");
    await expect(s.put("a/b", "x")).rejects.toThrow(/parent path of it is already stored as a key/);
    await s.put("c/d", "x");
    await expect(s.put("c", "x")).rejects.toThrow(/is a directory of other keys/);
    expect(await s.head("c")).toBeNull();
    await expect(s.getBytes("c")).rejects.toThrow('No stored object under key "c"');
    await s.delete("c");
    expect((await s.getBytes("c/d")).toString()).toBe("x");
    expect(await s.head("a/b")).toBeNull();
  });

  it("never reads outside the root", async () => {
    const root = path.join(dir, "jail", "files");
    await mkdir(path.dirname(root), { recursive: true });
    await writeFile(path.join(dir, "jail", "secret.txt"), "secret");
    const s = createLocalStorage({ root });
    await expect(s.getBytes("../secret.txt")).rejects.toBeInstanceOf(StorageKeyError);
    await expect(s.getBytes("files/../../secret.txt")).rejects.toBeInstanceOf(StorageKeyError);
  });

  it("check() creates the root, and names DATA_DIR when the root is unusable", async () => {
    const root = path.join(dir, "check", "files");
    await createLocalStorage({ root }).check();
    expect((await stat(root)).isDirectory()).toBe(true);
    expect(await readdir(root)).toEqual([]);

    const blocker = path.join(dir, "check", "plainfile");
    await writeFile(blocker, "not a directory");
    const bad = createLocalStorage({ root: path.join(blocker, "files") });
    const err = await bad.check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageConfigError);
    expect((err as StorageConfigError).message).toMatch(
      /^Local storage directory ".*plainfile\/files" is not writable \(ENOTDIR\) — check DATA_DIR$/,
    );
    expect((err as StorageConfigError).settings).toEqual(["DATA_DIR"]);
  });
});
