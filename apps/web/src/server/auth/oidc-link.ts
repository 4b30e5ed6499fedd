// Links an OIDC identity to a user row (Account table): an existing link wins; otherwise a user with the
// same, provider-verified email is linked; otherwise a new ANNOTATOR user is created.
import type { PrismaClient } from "@data-engine/db";
import type { Account } from "next-auth";

export interface OidcProfile {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
}

export async function linkOidcUser(
  prisma: PrismaClient,
  account: Account,
  profile: OidcProfile | undefined,
): Promise<{ id: string; disabled: boolean } | null> {
  const linked = await prisma.account.findUnique({
    where: { provider_providerAccountId: { provider: account.provider, providerAccountId: account.providerAccountId } },
    select: { user: { select: { id: true, disabled: true } } },
  });
  if (linked) return linked.user;
  const email = profile?.email?.trim().toLowerCase();
  if (!email) return null; // nothing to identify the person by
  const existing = await prisma.user.findUnique({ where: { email }, select: { id: true, disabled: true } });
  // Linking to an existing (possibly privileged) account needs the provider to vouch for the email.
  if (existing && profile?.email_verified !== true) return null;
  const user =
    existing ??
    (await prisma.user.create({
      data: { email, name: profile?.name ?? profile?.preferred_username ?? null, role: "ANNOTATOR", emailVerified: profile?.email_verified ? new Date() : null },
      select: { id: true, disabled: true },
    }));
  await prisma.account.create({
    data: {
      userId: user.id, type: account.type, provider: account.provider, providerAccountId: account.providerAccountId,
      access_token: account.access_token, refresh_token: account.refresh_token, expires_at: account.expires_at,
      token_type: account.token_type, scope: account.scope, id_token: account.id_token,
      session_state: typeof account.session_state === "string" ? account.session_state : null,
    },
  });
  return user;
}
