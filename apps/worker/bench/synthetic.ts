// Synthetic data for the export bench and tests: images with many small rectangular masks, inserted in bulk.
import { createHash } from "node:crypto";
import { encodeMask } from "@data-engine/sam-core";
import type { Services } from "../src/services.ts";

export async function insertSyntheticMasks(
  services: Services,
  projectId: string,
  images: number,
  perImage: number,
  size = { width: 64, height: 48 },
): Promise<void> {
  const prisma = services.prisma;
  const created = await prisma.image.createManyAndReturn({
    data: Array.from({ length: images }, (_, i) => ({
      projectId,
      storageKey: `synthetic/${i}.png`,
      fileName: `${i}.png`,
      mimeType: "image/png",
      sizeBytes: 1,
      width: size.width,
      height: size.height,
      sha256: `synthetic-${projectId}-${i}`,
      source: "UPLOAD" as const,
    })),
    select: { id: true },
  });
  const rles: string[] = [];
  for (let m = 0; m < perImage; m++) {
    const data = new Uint8Array(size.width * size.height);
    const x0 = (m * 7) % (size.width - 14);
    const y0 = (m * 5) % (size.height - 8);
    for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 14; x++) data[y * size.width + x] = 1;
    rles.push(encodeMask({ width: size.width, height: size.height, data }).counts);
  }
  const checksums = rles.map((r) => createHash("sha256").update(r).digest("hex"));
  let batch: NonNullable<Parameters<typeof prisma.mask.createMany>[0]>["data"] & unknown[] = [];
  for (const image of created) {
    for (let m = 0; m < perImage; m++) {
      batch.push({
        projectId,
        imageId: image.id,
        rle: rles[m]!,
        rleChecksum: checksums[m]!,
        bbox: [(m * 7) % (size.width - 14), (m * 5) % (size.height - 8), 14, 8],
        area: 112,
        source: "AUTO",
        stage: 3,
        status: "ACCEPTED",
        predictedIou: 0.9,
        stabilityScore: 0.96,
      });
      if (batch.length >= 5000) {
        await prisma.mask.createMany({ data: batch });
        batch = [];
      }
    }
  }
  if (batch.length) await prisma.mask.createMany({ data: batch });
}
