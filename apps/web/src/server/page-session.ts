// Server components read data through the same tRPC procedures (and so the same access rules) as the
// browser, by calling the router in-process with the request's session.
import { headers } from "next/headers";
import { forbidden, notFound, redirect } from "next/navigation";
import { createCaller } from "./router.ts";
import { createContext, type SessionUser } from "./trpc/context.ts";
import { getWebRuntime } from "./runtime.ts";

export async function getPageSession() {
  // headers() first: it marks the page dynamic, so the build never prerenders it (no runtime then).
  const requestHeaders = await headers();
  const ctx = await createContext(getWebRuntime(), requestHeaders);
  return { user: ctx.user, caller: createCaller(ctx) };
}

/** The signed-in user and a caller for them; sends anyone else to the sign-in page. */
export async function requireSession(returnTo: string) {
  const session = await getPageSession();
  if (!session.user) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  return session as { user: SessionUser; caller: ReturnType<typeof createCaller> };
}

/** Runs a procedure for a page: NOT_FOUND becomes the 404 page, FORBIDDEN the 403 page (app/forbidden.tsx). */
export async function load<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "NOT_FOUND") notFound();
    if (code === "FORBIDDEN") forbidden();
    throw err;
  }
}

/** For pages only administrators may open. */
export async function requireAdmin(returnTo: string) {
  const session = await requireSession(returnTo);
  if (session.user.role !== "ADMIN") forbidden();
  return session;
}
