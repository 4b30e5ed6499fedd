// Audit trail of every write made through the API.
import type { PrismaClient } from "@data-engine/db";

type AuditWriter = Pick<PrismaClient, "auditLog">;

export interface AuditEntry {
  actorId: string | null;
  projectId?: string | null;
  /** "<entity>.<verb>", e.g. "mask.update", "user.disable". */
  action: string;
  entityType: string;
  entityId?: string | null;
  data?: Record<string, unknown>;
}

export async function recordAudit(db: AuditWriter, entry: AuditEntry): Promise<void> {
  await db.auditLog.create({
    data: {
      actorId: entry.actorId,
      projectId: entry.projectId ?? null,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId ?? null,
      // JSON round trip: drops undefined fields and turns Dates into strings, as Prisma's Json needs.
      data: JSON.parse(JSON.stringify(entry.data ?? {})),
    },
  });
}
