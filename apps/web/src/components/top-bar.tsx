import Link from "next/link";
import { getPageSession } from "@/server/page-session.ts";
import { SignOutButton } from "./sign-out-button.tsx";

export async function TopBar() {
  const { user } = await getPageSession();
  return (
    <nav className="topbar" aria-label="Main">
      <Link href="/projects" className="brand">SAM data engine</Link>
      {user && <Link href="/projects">Projects</Link>}
      {user?.role === "ADMIN" && (
        <>
          <Link href="/admin/users">Users</Link>
          <Link href="/admin/jobs">Jobs</Link>
          <Link href="/admin/models">Models</Link>
          <Link href="/admin/audit">Audit</Link>
        </>
      )}
      <span className="spacer" />
      {user ? (
        <>
          <span className="who" data-testid="whoami">{user.email} · {user.role.toLowerCase()}</span>
          <SignOutButton />
        </>
      ) : (
        <Link href="/signin">Sign in</Link>
      )}
    </nav>
  );
}
