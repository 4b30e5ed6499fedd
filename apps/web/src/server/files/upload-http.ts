// What the two upload routes (images into storage, model files to disk) share: the error that carries
// the HTTP status and a message for the page, sizes in those messages, and the PUT handler around the
// streaming (session, role, `{ error }` JSON).
import type { WebRuntime } from "../runtime.ts";
import { createContext } from "../trpc/context.ts";

export class UploadError extends Error {
  override name = "UploadError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export { formatBytes } from "../../format-bytes.ts";

/**
 * Answers an upload PUT for administrators only: `receive` gets the query and the declared length and
 * returns what the page reads; an UploadError becomes `{ error }` with its status.
 */
export async function handleAdminUpload(
  runtime: WebRuntime,
  req: Request,
  messages: { expired: string; forbidden: string },
  receive: (query: URLSearchParams, declaredBytes: number | null) => Promise<unknown>,
): Promise<Response> {
  const { user } = await createContext(runtime, req.headers);
  if (!user) return Response.json({ error: messages.expired }, { status: 401 });
  if (user.role !== "ADMIN") return Response.json({ error: messages.forbidden }, { status: 403 });
  const length = req.headers.get("content-length");
  try {
    return Response.json(await receive(new URL(req.url).searchParams, length === null ? null : Number(length)));
  } catch (err) {
    if (err instanceof UploadError) return Response.json({ error: err.message }, { status: err.status });
    throw err;
  }
}
