import NextAuth from "next-auth";
import type { NextRequest } from "next/server";
import { buildAuthOptions } from "@/server/auth/options.ts";
import { getWebRuntime } from "@/server/runtime.ts";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ nextauth: string[] }> };

// Options are built per request: the secret and providers come from the runtime the server started.
function handler(req: NextRequest, context: Context): Promise<Response> {
  return NextAuth(req, context, buildAuthOptions(getWebRuntime()));
}

export { handler as GET, handler as POST };
