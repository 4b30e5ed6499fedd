// The message a reviewer gets when someone else decided (or changed) the mask first: who, what, when,
// and that their own decision was not applied, so nothing is silently lost or applied twice.
import { TRPCError } from "@trpc/server";

export interface MaskNow {
  version: number;
  status: string;
  reviewedAt: Date | null;
  reviewer: { email: string; name: string | null } | null;
}

const VERB: Record<string, string> = { ACCEPTED: "accepted", REJECTED: "rejected", SUPERSEDED: "replaced", PROPOSED: "changed" };

export function decidedElsewhere(maskId: string, expectedVersion: number, now: MaskNow | null): TRPCError {
  if (!now) {
    return new TRPCError({ code: "CONFLICT", message: `Mask ${maskId} no longer exists; your decision was not applied` });
  }
  const who = now.reviewer ? (now.reviewer.name ? `${now.reviewer.name} (${now.reviewer.email})` : now.reviewer.email) : "someone else";
  const when = now.reviewedAt ? ` at ${now.reviewedAt.toISOString().replace("T", " ").slice(0, 19)} UTC` : "";
  const what = now.status === "PROPOSED" ? `was changed by someone else` : `was already ${VERB[now.status] ?? now.status.toLowerCase()} by ${who}${when}`;
  return new TRPCError({
    code: "CONFLICT",
    message: `Mask ${maskId} ${what} (you reviewed version ${expectedVersion}, it is now at version ${now.version}); your decision was not applied`,
  });
}
