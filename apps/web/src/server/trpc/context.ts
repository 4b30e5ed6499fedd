// Per-request tRPC context. The user is loaded by id on every request, so role changes and disabling
// take effect immediately, without waiting for the session to expire or the user to sign in again.
import type { PrismaClient } from "@data-engine/db";
import type { RoleName } from "../domain.ts";
import { sessionUserIdFromHeaders } from "../auth/session-cookie.ts";
import type { WebRuntime } from "../runtime.ts";

export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  role: RoleName;
}

export interface Context {
  runtime: WebRuntime;
  prisma: PrismaClient;
  user: SessionUser | null;
}

export async function loadSessionUser(prisma: PrismaClient, userId: string | null): Promise<SessionUser | null> {
  if (!userId) return null;
  const user = await prisma.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, name: true, role: true, disabled: true },
  });
  if (!user || user.disabled) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

export async function createContext(runtime: WebRuntime, headers: Headers): Promise<Context> {
  const userId = await sessionUserIdFromHeaders(headers, runtime.authSecret);
  return { runtime, prisma: runtime.prisma, user: await loadSessionUser(runtime.prisma, userId) };
}
