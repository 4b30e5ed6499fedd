// Generates test images with sharp (distinct content per index so each has its own sha256).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";

export async function solidPng(index: number, width = 32, height = 24): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: (index * 37) % 256, g: (index * 91) % 256, b: (index * 13 + 7) % 256 } } })
    .png()
    .toBuffer();
}

export async function writeImages(dir: string, count: number, prefix = "img"): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${String(i).padStart(3, "0")}.png`;
    await writeFile(path.join(dir, name), await solidPng(i + 1));
    names.push(name);
  }
  return names;
}
