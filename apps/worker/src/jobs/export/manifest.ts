// The list of written files with their sizes and sha256, and the dataset checksum derived from it.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

/** Every file under `root`, as "/"-separated relative paths in byte order. */
export async function listFiles(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const dirent of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const key = rel ? `${rel}/${dirent.name}` : dirent.name;
    if (dirent.isDirectory()) out.push(...(await listFiles(root, key)));
    else if (dirent.isFile()) out.push(key);
  }
  return out.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

export async function hashFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function describeFiles(root: string): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];
  for (const rel of await listFiles(root)) {
    const abs = path.join(root, rel);
    files.push({ path: rel, size: (await stat(abs)).size, sha256: await hashFile(abs) });
  }
  return files;
}
