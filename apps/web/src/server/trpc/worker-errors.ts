// The worker's errors arrive through the injected runtime, from another module graph than this bundle,
// so they are recognised by name rather than instanceof.
import { TRPCError } from "@trpc/server";

const CODES: Record<string, TRPCError["code"]> = {
  JobParamsError: "BAD_REQUEST",
  JobNotFoundError: "NOT_FOUND",
  JobStateError: "PRECONDITION_FAILED",
  NotFoundError: "NOT_FOUND",
  ModelError: "BAD_REQUEST",
};

export async function callWorker<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    const code = err instanceof Error ? CODES[err.name] : undefined;
    if (code) throw new TRPCError({ code, message: (err as Error).message, cause: err });
    throw err;
  }
}
