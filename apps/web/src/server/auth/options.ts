// next-auth 4 configuration: email + password (Credentials) and, when configured, one OIDC provider.
// Credentials require JWT sessions; the JWT carries only the user id (`sub`): role and disabled flag are
// read from the database on every request (see trpc/context.ts and session-user.ts).
import type { AuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { Provider } from "next-auth/providers/index";
import type { WebRuntime } from "../runtime.ts";
import { SESSION_MAX_AGE_SECONDS } from "./session-cookie.ts";
import { linkOidcUser, type OidcProfile } from "./oidc-link.ts";

export const OIDC_PROVIDER_ID = "oidc";

export async function verifyCredentials(
  runtime: Pick<WebRuntime, "prisma" | "passwords">,
  email: unknown,
  password: unknown,
): Promise<{ id: string; email: string; name: string | null } | null> {
  if (typeof email !== "string" || typeof password !== "string" || email === "" || password === "") return null;
  const user = await runtime.prisma.user.findUnique({
    where: { email: email.trim().toLowerCase() },
    select: { id: true, email: true, name: true, passwordHash: true, disabled: true },
  });
  if (!user?.passwordHash) {
    // Spend the same scrypt time as a real check so response time does not reveal which emails exist.
    await runtime.passwords.hash(password).catch(() => undefined);
    return null;
  }
  const ok = await runtime.passwords.verify(password, user.passwordHash).catch(() => false);
  if (!ok || user.disabled) return null;
  return { id: user.id, email: user.email, name: user.name };
}

export function buildAuthOptions(runtime: WebRuntime): AuthOptions {
  const providers: Provider[] = [
    CredentialsProvider({
      id: "credentials",
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      authorize: (credentials) => verifyCredentials(runtime, credentials?.email, credentials?.password),
    }),
  ];
  const oidc = runtime.oidc;
  if (oidc) {
    providers.push({
      id: OIDC_PROVIDER_ID,
      name: oidc.name,
      type: "oauth",
      wellKnown: `${oidc.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`,
      clientId: oidc.clientId,
      clientSecret: oidc.clientSecret,
      authorization: { params: { scope: "openid email profile" } },
      idToken: true,
      checks: ["pkce", "state"],
      profile(profile: OidcProfile) {
        return { id: profile.sub, email: profile.email ?? null, name: profile.name ?? profile.preferred_username ?? null };
      },
    });
  }
  return {
    secret: runtime.authSecret,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/signin", error: "/signin" },
    providers,
    callbacks: {
      async signIn({ account, profile }) {
        if (account?.type !== "oauth") return true; // credentials were checked in authorize()
        const user = await linkOidcUser(runtime.prisma, account, profile as OidcProfile | undefined);
        return user !== null && !user.disabled;
      },
      async jwt({ token, user, account }) {
        if (account?.type === "oauth") {
          const link = await runtime.prisma.account.findUnique({
            where: { provider_providerAccountId: { provider: account.provider, providerAccountId: account.providerAccountId } },
            select: { userId: true },
          });
          if (link) token.sub = link.userId;
        } else if (user) {
          token.sub = user.id;
        }
        return token;
      },
      async session({ session, token }) {
        return { ...session, userId: token.sub };
      },
    },
  };
}
