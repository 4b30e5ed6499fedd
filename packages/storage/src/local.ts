// Files under a root directory. Writes go to a temp file in the target's own directory (same
// filesystem, so rename is atomic), are fsynced, then renamed over the key: readers and crashes see
// either the old bytes or the new ones, never a partial file under the final name.
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { byteChunks, bytesOf, isBytes, readAll } from "./body.ts";
import { contentTypeForKey } from "./content-type.ts";
import { validateKey, validatePrefix } from "./keys.ts";
import {
  StorageConfigError,
  StorageKeyError,
  StorageNotFoundError,
  type ListEntry,
  type ObjectInfo,
  type PutBody,
  type Storage,
} from "./storage.ts";

/** Temp files carry this prefix; keys may not use it, and list() skips such files. */
export const LOCAL_TEMP_PREFIX = ".storage-tmp-";

export interface LocalStorageOptions {
  /** Directory holding the files; created when first needed. */
  root: string;
  /** The setting that chose `root`, named in check()'s error (default "DATA_DIR"). */
  rootSetting?: string;
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null ? (err as { code?: string }).code : undefined;
}

function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  // ENOTDIR: a path component is a file ("a" exists as a file and we look for "a/b").
  return code === "ENOENT" || code === "ENOTDIR";
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

export class LocalStorage implements Storage {
  readonly kind = "local" as const;
  readonly root: string;
  private readonly rootSetting: string;

  constructor(opts: LocalStorageOptions) {
    if (!opts.root)
      throw new StorageConfigError("Local storage root directory is empty — check DATA_DIR", ["DATA_DIR"]);
    this.root = path.resolve(opts.root);
    this.rootSetting = opts.rootSetting ?? "DATA_DIR";
  }

  /** Absolute path of a key's file (the key is validated first). */
  pathFor(key: string): string {
    validateKey(key);
    for (const segment of key.split("/")) {
      if (segment.startsWith(LOCAL_TEMP_PREFIX)) {
        throw new StorageKeyError(
          key,
          `segments must not start with "${LOCAL_TEMP_PREFIX}" (reserved for temp files)`,
        );
      }
    }
    return path.join(this.root, ...key.split("/"));
  }

  async put(
    key: string,
    body: PutBody,
    _opts?: { contentType?: string },
  ): Promise<{ key: string; size: number }> {
    const target = this.pathFor(key);
    const dir = path.dirname(target);
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      const code = errnoCode(err);
      if (code === "ENOTDIR" || code === "EEXIST") {
        throw new StorageKeyError(key, "a parent path of it is already stored as a key", { cause: err });
      }
      throw err;
    }
    const temp = path.join(dir, `${LOCAL_TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
    const handle = await open(temp, "wx");
    let size = 0;
    try {
      if (isBytes(body)) {
        const bytes = bytesOf(body);
        await handle.writeFile(bytes);
        size = bytes.byteLength;
      } else {
        // One chunk in flight at a time: memory stays bounded whatever the stream's length.
        for await (const chunk of byteChunks(body)) {
          await handle.write(chunk);
          size += chunk.byteLength;
        }
      }
      await handle.sync();
      await handle.close();
      await rename(temp, target);
    } catch (err) {
      await handle.close().catch(() => {});
      await unlink(temp).catch(() => {});
      if (errnoCode(err) === "EISDIR")
        throw new StorageKeyError(key, "is a directory of other keys", { cause: err });
      throw err;
    }
    return { key, size };
  }

  async get(key: string): Promise<NodeJS.ReadableStream> {
    const file = this.pathFor(key);
    let handle;
    try {
      handle = await open(file, "r");
    } catch (err) {
      if (isMissing(err)) throw new StorageNotFoundError(key);
      throw err;
    }
    // Opening first means a missing key fails here, not later as a stream error; the open handle
    // keeps reading the old bytes even if a concurrent put renames a new file over the key.
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      throw new StorageNotFoundError(key);
    }
    return handle.createReadStream();
  }

  async getBytes(key: string): Promise<Buffer> {
    return readAll(await this.get(key));
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const file = this.pathFor(key);
    try {
      const info = await stat(file);
      if (!info.isFile()) return null;
      return { size: info.size, contentType: contentTypeForKey(key), lastModified: info.mtime };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathFor(key);
    try {
      await unlink(file);
    } catch (err) {
      if (isMissing(err)) return;
      // A directory of other keys is not an object: nothing to delete under this key.
      if (errnoCode(err) === "EISDIR" || errnoCode(err) === "EPERM") {
        const info = await stat(file).catch(() => null);
        if (info?.isDirectory()) return;
      }
      throw err;
    }
  }

  async *list(prefix: string): AsyncGenerator<ListEntry> {
    validatePrefix(prefix);
    // Start at the deepest directory the prefix fully names; filter the rest by string prefix.
    const slash = prefix.lastIndexOf("/");
    const base = slash < 0 ? "" : prefix.slice(0, slash + 1);
    yield* this.walk(base, prefix);
  }

  private async *walk(dirKey: string, prefix: string): AsyncGenerator<ListEntry> {
    const dir = path.join(this.root, ...dirKey.split("/").filter(Boolean));
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    // Sorting by "name/" for directories and "name" for files yields whole keys in byte order:
    // every key inside directory d starts with "d/", and no sibling name can contain "/".
    const items = entries
      .filter((e) => !e.name.startsWith(LOCAL_TEMP_PREFIX) && (e.isFile() || e.isDirectory()))
      .map((e) => ({
        name: e.name,
        isDir: e.isDirectory(),
        sortKey: e.isDirectory() ? `${e.name}/` : e.name,
      }))
      .sort((a, b) => compareBytes(a.sortKey, b.sortKey));
    for (const item of items) {
      const key = dirKey + item.sortKey;
      if (item.isDir) {
        // Descend only where keys under it can still match the prefix.
        if (key.startsWith(prefix) || prefix.startsWith(key)) yield* this.walk(key, prefix);
      } else if (key.startsWith(prefix)) {
        const info = await stat(path.join(dir, item.name)).catch(() => null);
        if (info?.isFile()) yield { key, size: info.size };
      }
    }
  }

  async check(): Promise<void> {
    const fix = `check ${this.rootSetting}`;
    try {
      await mkdir(this.root, { recursive: true });
      const probe = path.join(this.root, `${LOCAL_TEMP_PREFIX}check-${randomBytes(6).toString("hex")}`);
      await (await open(probe, "wx")).close();
      await rm(probe, { force: true });
    } catch (err) {
      const code = errnoCode(err) ?? (err instanceof Error ? err.message : String(err));
      throw new StorageConfigError(
        `Local storage directory "${this.root}" is not writable (${code}) — ${fix}`,
        [this.rootSetting],
        { cause: err },
      );
    }
  }
}

export function createLocalStorage(opts: LocalStorageOptions): LocalStorage {
  return new LocalStorage(opts);
}
