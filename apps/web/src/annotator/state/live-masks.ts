// The masks the annotator draws as already annotated: proposed ones (in stage 2, the confident automatic
// masks awaiting review) and accepted ones. Rejected masks are objects still missing.
export const LIVE_MASK_STATUSES = ["PROPOSED", "ACCEPTED"] as const;
