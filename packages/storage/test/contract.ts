// The behaviour every backend must share; each backend's test file runs it against its own instance.
import { Readable } from "node:stream";
import { expect, it } from "vitest";
import { StorageKeyError, StorageNotFoundError, type Storage } from "../src/index.ts";
import { byteSorted, chunkedStream, collect, seededBytes, uniquePrefix } from "./helpers.ts";

export interface ContractOptions {
  /**
   * Whether list() must yield keys in UTF-8 byte order. AWS S3 and the local backend do; s3rver walks
   * its directories instead (so "a/b" comes before "a-c"), and the S3 backend passes on server order.
   */
  byteOrderedList: boolean;
}

export function storageContract(getStorage: () => Storage, opts: ContractOptions): void {
  const listed = (keys: string[]) => (opts.byteOrderedList ? keys : byteSorted(keys));

  it("stores bytes and reads them back, with size and content type", async () => {
    const s = getStorage();
    const key = `${uniquePrefix()}img/photo.png`;
    const data = seededBytes(3000, 1);
    expect(await s.put(key, data, { contentType: "image/png" })).toEqual({ key, size: 3000 });
    expect((await s.getBytes(key)).equals(data)).toBe(true);
    const info = await s.head(key);
    expect(info?.size).toBe(3000);
    expect(info?.contentType).toBe("image/png");
    expect(info?.lastModified).toBeInstanceOf(Date);
    expect(Math.abs(info!.lastModified!.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("stores strings as UTF-8 and keeps every byte value of binary data", async () => {
    const s = getStorage();
    const p = uniquePrefix();
    const text = "héllo ✓ 日本";
    const utf8 = new TextEncoder().encode(text);
    expect((await s.put(`${p}t.txt`, text)).size).toBe(utf8.length);
    expect(new Uint8Array(await s.getBytes(`${p}t.txt`))).toEqual(utf8);

    const all = new Uint8Array(256).map((_, i) => i);
    await s.put(`${p}all.bin`, all);
    expect(new Uint8Array(await s.getBytes(`${p}all.bin`))).toEqual(all);

    await s.put(`${p}empty.bin`, new Uint8Array(0));
    expect((await s.getBytes(`${p}empty.bin`)).length).toBe(0);
    expect((await s.head(`${p}empty.bin`))?.size).toBe(0);
  });

  it("accepts Node streams (byte and string chunks) and web ReadableStreams", async () => {
    const s = getStorage();
    const p = uniquePrefix();
    const data = seededBytes(200_000, 2);
    expect(await s.put(`${p}node.bin`, chunkedStream(data, 7_000))).toEqual({
      key: `${p}node.bin`,
      size: 200_000,
    });
    expect((await s.getBytes(`${p}node.bin`)).equals(data)).toBe(true);

    await s.put(`${p}strings.txt`, Readable.from(["ab", "cd", "é"], { objectMode: false }));
    expect((await s.getBytes(`${p}strings.txt`)).toString("utf8")).toBe("abcdé");

    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(data.subarray(0, 1000));
        controller.enqueue(data.subarray(1000, 5000));
        controller.close();
      },
    });
    expect((await s.put(`${p}web.bin`, web)).size).toBe(5000);
    expect((await s.getBytes(`${p}web.bin`)).equals(data.subarray(0, 5000))).toBe(true);
  });

  it("get() returns a stream of the stored bytes", async () => {
    const s = getStorage();
    const key = `${uniquePrefix()}s.bin`;
    const data = seededBytes(150_000, 3);
    await s.put(key, data);
    const chunks: Buffer[] = [];
    for await (const chunk of await s.get(key)) chunks.push(Buffer.from(chunk as Uint8Array));
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it("overwrites an existing key", async () => {
    const s = getStorage();
    const key = `${uniquePrefix()}over.txt`;
    await s.put(key, "first version, longer");
    await s.put(key, "second");
    expect((await s.getBytes(key)).toString()).toBe("second");
    expect((await s.head(key))?.size).toBe(6);
  });

  it("reports missing keys: get/getBytes throw StorageNotFoundError, head returns null", async () => {
    const s = getStorage();
    const key = `${uniquePrefix()}missing.bin`;
    await expect(s.get(key)).rejects.toBeInstanceOf(StorageNotFoundError);
    await expect(s.getBytes(key)).rejects.toThrow(`No stored object under key "${key}"`);
    expect(await s.head(key)).toBeNull();
  });

  it("delete removes the object and is idempotent", async () => {
    const s = getStorage();
    const p = uniquePrefix();
    await s.put(`${p}d.txt`, "x");
    await s.put(`${p}keep.txt`, "y");
    await s.delete(`${p}d.txt`);
    expect(await s.head(`${p}d.txt`)).toBeNull();
    await expect(s.getBytes(`${p}d.txt`)).rejects.toBeInstanceOf(StorageNotFoundError);
    await s.delete(`${p}d.txt`);
    await s.delete(`${p}never/was.txt`);
    expect((await s.getBytes(`${p}keep.txt`)).toString()).toBe("y");
  });

  it(`lists every key under a string prefix${opts.byteOrderedList ? ", in byte order," : ""} with sizes`, async () => {
    const s = getStorage();
    const p = uniquePrefix();
    // "-" (0x2d) sorts before "/" (0x2f): a per-directory sort would get these wrong.
    const names = ["a-c.txt", "a/b.txt", "a/c/d.txt", "a/c/e.txt", "ab.txt", "b.txt", "a/c-x.txt", "z/é.txt"];
    for (const [i, name] of names.entries()) await s.put(p + name, "x".repeat(i + 1));
    const sizeOf = (name: string) => names.indexOf(name) + 1;

    const all = await collect(s.list(p));
    expect(listed(all.map((e) => e.key))).toEqual(byteSorted(names.map((n) => p + n)));
    for (const e of all) expect(e.size).toBe(sizeOf(e.key.slice(p.length)));

    const underA = await collect(s.list(`${p}a/`));
    expect(listed(underA.map((e) => e.key))).toEqual(
      byteSorted(names.filter((n) => n.startsWith("a/")).map((n) => p + n)),
    );
    const partial = await collect(s.list(`${p}a/c`));
    expect(listed(partial.map((e) => e.key))).toEqual(
      byteSorted(names.filter((n) => n.startsWith("a/c")).map((n) => p + n)),
    );
    const startsWithA = await collect(s.list(`${p}a`));
    expect(listed(startsWithA.map((e) => e.key))).toEqual(
      byteSorted(names.filter((n) => n.startsWith("a")).map((n) => p + n)),
    );
    expect(await collect(s.list(`${p}nothing/`))).toEqual([]);
  });

  it("lists more keys than fit in one page", async () => {
    const s = getStorage();
    const p = uniquePrefix();
    const keys = Array.from({ length: 23 }, (_, i) => `${p}k${String(i).padStart(3, "0")}.txt`);
    await Promise.all(keys.map((k) => s.put(k, k)));
    const page = await collect(s.list(p));
    expect(listed(page.map((e) => e.key))).toEqual(keys);
    expect(new Set(page.map((e) => e.key)).size).toBe(23);
  });

  it("rejects invalid keys with StorageKeyError before touching the backend", async () => {
    const s = getStorage();
    for (const bad of ["", "/abs.txt", "a/../b.txt", "..", "a\\b.txt", "a\0b", "a//b", "dir/"]) {
      await expect(s.put(bad, "x"), bad).rejects.toBeInstanceOf(StorageKeyError);
      await expect(s.get(bad), bad).rejects.toBeInstanceOf(StorageKeyError);
      await expect(s.head(bad), bad).rejects.toBeInstanceOf(StorageKeyError);
      await expect(s.delete(bad), bad).rejects.toBeInstanceOf(StorageKeyError);
    }
    await expect(collect(s.list("../"))).rejects.toBeInstanceOf(StorageKeyError);
    await expect(collect(s.list("/x"))).rejects.toBeInstanceOf(StorageKeyError);
  });

  it("a stream that fails leaves nothing under the key", async () => {
    const s = getStorage();
    const key = `${uniquePrefix()}broken.bin`;
    const failing = Readable.from(
      (async function* () {
        yield seededBytes(10_000, 4);
        throw new Error("source broke");
      })(),
      { objectMode: false },
    );
    await expect(s.put(key, failing)).rejects.toThrow("source broke");
    expect(await s.head(key)).toBeNull();
  });

  it("check() passes on a usable backend", async () => {
    await expect(getStorage().check()).resolves.toBeUndefined();
  });
}
