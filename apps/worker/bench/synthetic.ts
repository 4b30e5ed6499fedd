// Synthetic data for the export bench and crash tests: images with many small rectangular masks,
// inserted with set-based SQL (Prisma's createMany is far slower than the export it is meant to feed).
import { createHash } from "node:crypto";
import { encodeMask } from "@data-engine/sam-core";
import type { Services } from "../src/services.ts";

export const SYNTHETIC_SIZE = { width: 64, height: 48 } as const;
const RECT = { width: 14, height: 8 };

/** Mask n of every image: a 14x8 rectangle at ((7n) mod 50, (5n) mod 40) on a 64x48 image. */
export function syntheticRect(n: number): { x: number; y: number } {
  return { x: (n * 7) % (SYNTHETIC_SIZE.width - RECT.width), y: (n * 5) % (SYNTHETIC_SIZE.height - RECT.height) };
}

export async function insertSyntheticMasks(services: Services, projectId: string, images: number, perImage: number): Promise<void> {
  const prisma = services.prisma;
  const { width, height } = SYNTHETIC_SIZE;
  await prisma.image.createMany({
    data: Array.from({ length: images }, (_, i) => ({
      projectId,
      storageKey: `synthetic/${projectId}/${i}.png`,
      fileName: `${i}.png`,
      mimeType: "image/png",
      sizeBytes: 1,
      width,
      height,
      sha256: `synthetic-${projectId}-${i}`,
      source: "UPLOAD" as const,
    })),
  });
  const rles: string[] = [];
  const sums: string[] = [];
  const ns: number[] = [];
  for (let n = 0; n < perImage; n++) {
    const data = new Uint8Array(width * height);
    const { x, y } = syntheticRect(n);
    for (let yy = y; yy < y + RECT.height; yy++) for (let xx = x; xx < x + RECT.width; xx++) data[yy * width + xx] = 1;
    const rle = encodeMask({ width, height, data }).counts;
    rles.push(rle);
    sums.push(createHash("sha256").update(rle).digest("hex"));
    ns.push(n);
  }
  await prisma.$executeRawUnsafe(
    `INSERT INTO "Mask" ("id", "projectId", "imageId", "rle", "rleChecksum", "bbox", "area", "source", "stage", "status",
                         "predictedIou", "stabilityScore", "updatedAt")
     SELECT i."id" || '-m' || p.n, $1, i."id", p.rle, p.sum,
            ARRAY[((p.n * 7) % ${width - RECT.width})::float8, ((p.n * 5) % ${height - RECT.height})::float8, ${RECT.width}, ${RECT.height}],
            ${RECT.width * RECT.height}, 'AUTO', 3, 'ACCEPTED', 0.9, 0.96, now()
       FROM "Image" i CROSS JOIN unnest($2::text[], $3::text[], $4::int[]) AS p(rle, sum, n)
      WHERE i."projectId" = $1`,
    projectId,
    rles,
    sums,
    ns,
  );
}
