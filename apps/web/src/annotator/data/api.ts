// A plain tRPC client for the annotator's imperative flows (save, poll, preload), outside React Query.
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "@/server/router.ts";

export type Api = ReturnType<typeof createApi>;

export function createApi() {
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/api/trpc", transformer: superjson })] });
}

/** The tRPC error code of a failed call ("UNAUTHORIZED", "CONFLICT", ...), or null for other failures. */
export function errorCode(err: unknown): string | null {
  if (err instanceof TRPCClientError) {
    const code = (err.data as { code?: unknown } | undefined)?.code;
    return typeof code === "string" ? code : null;
  }
  return null;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
