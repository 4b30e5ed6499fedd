import { redirect } from "next/navigation";
import { getPageSession } from "@/server/page-session.ts";
import { getWebRuntime } from "@/server/runtime.ts";
import { SignInForm } from "./sign-in-form.tsx";

/** Only same-site paths: an absolute callbackUrl would make this page an open redirect. */
function safeReturn(raw: string | string[] | undefined): string {
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value && value.startsWith("/") && !value.startsWith("//") ? value : "/projects";
}

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const returnTo = safeReturn(params.callbackUrl);
  const { user } = await getPageSession();
  if (user) redirect(returnTo);
  const oidc = getWebRuntime().oidc;
  const error = typeof params.error === "string" ? params.error : null;
  return (
    <div className="signin panel">
      <h1>Sign in</h1>
      <SignInForm returnTo={returnTo} oidcName={oidc?.name ?? null} initialError={error ? describeAuthError(error) : null} />
    </div>
  );
}

function describeAuthError(code: string): string {
  if (code === "CredentialsSignin") return "Wrong email or password, or the account is disabled.";
  if (code === "AccessDenied") return "This account may not sign in (disabled, or its email is not verified by the provider).";
  return `Sign-in failed (${code}).`;
}
