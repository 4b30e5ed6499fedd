// Freezes which masks a dataset version contains (DatasetItem rows with the RLE checksum they had), in one
// statement and one transaction, so a re-run replaces a partial snapshot instead of adding to it.
import type { Prisma } from "../../db-types.ts";
import type { ExportFilter } from "./params.ts";

export async function snapshotMasks(prisma: Prisma, datasetVersionId: string, projectId: string, filter: ExportFilter): Promise<number> {
  const values: unknown[] = [datasetVersionId, projectId, filter.statuses];
  const where = [`m."projectId" = $2`, `m."status"::text = ANY($3::text[])`];
  if (filter.stages) {
    values.push(filter.stages);
    where.push(`m."stage" = ANY($${values.length}::int[])`);
  }
  if (filter.labels) {
    values.push(filter.labels);
    where.push(
      `m."labelClassId" IN (SELECT l."id" FROM "LabelClass" l WHERE l."projectId" = $2 AND (l."id" = ANY($${values.length}::text[]) OR l."name" = ANY($${values.length}::text[])))`,
    );
  }
  if (filter.modelVersionId) {
    values.push(filter.modelVersionId);
    where.push(`m."modelVersionId" = $${values.length}`);
  }
  if (filter.createdFrom) {
    values.push(new Date(filter.createdFrom));
    where.push(`m."createdAt" >= $${values.length}`);
  }
  if (filter.createdTo) {
    values.push(new Date(filter.createdTo));
    where.push(`m."createdAt" < $${values.length}`);
  }
  const insert = `INSERT INTO "DatasetItem" ("datasetVersionId", "maskId", "imageId", "rleChecksum", "split")
    SELECT $1, m."id", m."imageId", m."rleChecksum", 'TRAIN' FROM "Mask" m WHERE ${where.join(" AND ")}`;
  return prisma.$transaction(async (tx) => {
    await tx.datasetItem.deleteMany({ where: { datasetVersionId } });
    return tx.$executeRawUnsafe(insert, ...values);
  });
}
