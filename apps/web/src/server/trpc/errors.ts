import { TRPCError } from "@trpc/server";

export function notFound(what: string, id: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `${what} ${id} does not exist in this project` });
}

/** Prisma's unique-constraint violation (P2002), for "already exists" messages. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}
