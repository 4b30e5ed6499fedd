// Where ingest reads files from: the product's storage (browser uploads), a local folder, or an S3 prefix.
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { S3Storage, StorageConfigError, createStorage, storageConfigFromEnv, type Storage } from "@data-engine/storage";
import type { ImageSource } from "@data-engine/db";
import type { Services } from "../../services.ts";
import { PermanentJobError } from "../../errors.ts";
import type { IngestSourceParams } from "./params.ts";

export interface SourceEntry {
  /** Stable key of the file within the source (the JobItem key). */
  key: string;
  size: number;
}

export interface IngestSource {
  origin: ImageSource;
  list(): Promise<SourceEntry[]>;
  read(key: string): Promise<Buffer>;
  /** Where the file came from, recorded on the image. */
  uri(key: string): string;
  fileName(key: string): string;
  /** Removes an imported file (uploads only). */
  remove?(key: string): Promise<void>;
  /** Releases what the source opened (the S3 client of a bucket other than the product's). */
  close?(): void;
}

export function openSource(services: Services, source: IngestSourceParams): IngestSource {
  switch (source.kind) {
    case "upload":
      return storageSource(services.storage, source.prefix, "UPLOAD", (key) => `storage:${key}`, source.deleteAfterImport);
    case "folder":
      return folderSource(source.path, source.recursive, source.origin);
    case "s3": {
      const storage = source.bucket ? s3Storage(services, source.bucket) : services.storage;
      if (!(storage instanceof S3Storage)) {
        throw new PermanentJobError("an S3 source without a bucket needs the product's storage to be S3 (S3_BUCKET)");
      }
      // Keys are relative to the storage's prefix (S3_PREFIX for the product's bucket): the URI names the object.
      const opened = storageSource(storage, source.prefix, "S3", (key) => `s3://${storage.bucket}/${storage.prefix}${key}`, false);
      return source.bucket ? { ...opened, close: () => storage.destroy() } : opened;
    }
  }
}

function s3Storage(services: Services, bucket: string): Storage {
  // The source bucket is read with the product's S3 endpoint and credentials, but without its prefix.
  try {
    return createStorage(storageConfigFromEnv({ ...services.env, S3_BUCKET: bucket, S3_PREFIX: "" }));
  } catch (error) {
    // A bad S3_* setting: retrying cannot fix it.
    if (error instanceof StorageConfigError) throw new PermanentJobError(`S3 source: ${error.message}`);
    throw error;
  }
}

function storageSource(
  storage: Storage,
  prefix: string,
  origin: ImageSource,
  uri: (key: string) => string,
  deletable: boolean,
): IngestSource {
  return {
    origin,
    async list() {
      const entries: SourceEntry[] = [];
      for await (const entry of storage.list(prefix)) {
        if (isHidden(entry.key)) continue;
        entries.push({ key: entry.key, size: entry.size });
      }
      return entries;
    },
    read: (key) => storage.getBytes(key),
    uri,
    fileName: (key) => path.posix.basename(key),
    remove: deletable ? (key) => storage.delete(key) : undefined,
  };
}

function folderSource(root: string, recursive: boolean, origin: "FOLDER" | "SEED"): IngestSource {
  const resolved = path.resolve(root);
  return {
    origin,
    async list() {
      const info = await stat(resolved).catch(() => null);
      if (!info?.isDirectory()) throw new PermanentJobError(`folder "${resolved}" does not exist or is not a directory`);
      const entries: SourceEntry[] = [];
      await walk(resolved, "", recursive, entries);
      return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    read: (key) => readFile(path.join(resolved, key)),
    uri: (key) => `file://${path.join(resolved, key)}`,
    fileName: (key) => path.posix.basename(key),
  };
}

async function walk(root: string, rel: string, recursive: boolean, out: SourceEntry[]): Promise<void> {
  const dir = path.join(root, rel);
  for (const dirent of await readdir(dir, { withFileTypes: true })) {
    if (dirent.name.startsWith(".")) continue;
    const key = rel ? `${rel}/${dirent.name}` : dirent.name;
    if (dirent.isDirectory()) {
      if (recursive) await walk(root, key, recursive, out);
    } else if (dirent.isFile()) {
      out.push({ key, size: (await stat(path.join(root, key))).size });
    }
  }
}

function isHidden(key: string): boolean {
  return key.split("/").some((segment) => segment.startsWith("."));
}
