"use client";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

export function SignInForm({ returnTo, oidcName, initialError }: { returnTo: string; oidcName: string | null; initialError: string | null }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(initialError);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setBusy(false);
    if (!result || result.error) {
      setError("Wrong email or password, or the account is disabled.");
      return;
    }
    router.replace(returnTo);
    router.refresh();
  }

  return (
    <div className="stack">
      <form className="stack" onSubmit={submit}>
        <label>
          Email
          <input name="email" type="email" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      </form>
      {oidcName && (
        <button type="button" className="secondary" onClick={() => void signIn("oidc", { callbackUrl: returnTo })}>
          Sign in with {oidcName}
        </button>
      )}
    </div>
  );
}
