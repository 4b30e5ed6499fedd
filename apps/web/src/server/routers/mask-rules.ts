// Shared rules of mask writes: optimistic concurrency messages and who may touch which mask.
import { createHash } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { roleAtLeast, type RoleName } from "../domain.ts";

export function rleChecksum(counts: string): string {
  return createHash("sha256").update(counts, "utf8").digest("hex");
}

export function staleVersion(maskId: string, expected: number, current: number | null): TRPCError {
  const now = current === null ? "it no longer exists" : `it is now at version ${current}`;
  return new TRPCError({
    code: "CONFLICT",
    message: `Mask ${maskId} was changed by someone else (you edited version ${expected}, ${now}); reload it and apply your change again`,
  });
}

export function supersededConflict(maskId: string, replacementId: string | null): TRPCError {
  return new TRPCError({
    code: "CONFLICT",
    message: replacementId
      ? `Mask ${maskId} was replaced by mask ${replacementId}; edit the replacement instead`
      : `Mask ${maskId} was deleted`,
  });
}

/** Annotators edit only masks still awaiting review; reviewers and admins edit any live mask. */
export function assertMayEdit(role: RoleName, status: string): void {
  if (status !== "PROPOSED" && !roleAtLeast(role, "REVIEWER")) {
    throw new TRPCError({ code: "FORBIDDEN", message: `Only reviewers can change a mask that is already ${status.toLowerCase()}` });
  }
}
