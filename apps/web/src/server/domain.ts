// Enum values of the data model, as plain constants for zod schemas and UI code. Bundled code must not
// import the Prisma client at runtime (see runtime.ts); the type assertions below fail to compile if the
// schema's enums ever drift from these lists.
import type { ImageStatus, JobStatus, JobType, MaskSource, MaskStatus, ReviewAction, Role } from "@data-engine/db";

export const ROLES = ["ADMIN", "REVIEWER", "ANNOTATOR"] as const;
export const IMAGE_STATUSES = ["NEW", "IN_PROGRESS", "ANNOTATED", "REVIEWED", "SKIPPED"] as const;
export const MASK_STATUSES = ["PROPOSED", "ACCEPTED", "REJECTED", "SUPERSEDED"] as const;
export const MASK_SOURCES = ["MANUAL", "ASSISTED", "AUTO"] as const;
export const REVIEW_ACTIONS = ["ACCEPT", "REJECT", "FIX", "RELABEL", "REOPEN"] as const;
export const JOB_TYPES = ["INGEST", "EMBED", "GENERATE", "EXPORT", "RETRAIN", "EVALUATE", "BUILD_MODEL"] as const;
export const JOB_STATUSES = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "DEAD"] as const;

export type RoleName = (typeof ROLES)[number];
export type JobTypeName = (typeof JOB_TYPES)[number];

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const assertSame = <T extends true>(_: T) => undefined;
assertSame<Same<RoleName, Role>>(true);
assertSame<Same<(typeof IMAGE_STATUSES)[number], ImageStatus>>(true);
assertSame<Same<(typeof MASK_STATUSES)[number], MaskStatus>>(true);
assertSame<Same<(typeof MASK_SOURCES)[number], MaskSource>>(true);
assertSame<Same<(typeof REVIEW_ACTIONS)[number], ReviewAction>>(true);
assertSame<Same<JobTypeName, JobType>>(true);
assertSame<Same<(typeof JOB_STATUSES)[number], JobStatus>>(true);

/** Higher is more powerful: ADMIN > REVIEWER > ANNOTATOR. */
export const ROLE_RANK: Record<RoleName, number> = { ANNOTATOR: 1, REVIEWER: 2, ADMIN: 3 };

export function roleAtLeast(role: RoleName, min: RoleName): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[min];
}

/** A member acts with the lesser of their project role and their global role. */
export function effectiveProjectRole(globalRole: RoleName, memberRole: RoleName): RoleName {
  return ROLE_RANK[memberRole] <= ROLE_RANK[globalRole] ? memberRole : globalRole;
}
