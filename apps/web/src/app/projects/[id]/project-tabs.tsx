import Link from "next/link";

const TABS = [
  { href: "", label: "Overview" },
  { href: "/review", label: "Review", minRole: "REVIEWER" },
  { href: "/exports", label: "Exports", minRole: "REVIEWER" },
  { href: "/dashboard", label: "Dashboard" },
  { href: "/training", label: "Training", minRole: "ADMIN" },
  { href: "/images", label: "Images", minRole: "ADMIN" },
  { href: "/settings", label: "Settings", minRole: "ADMIN" },
] as const;
const RANK = { ANNOTATOR: 1, REVIEWER: 2, ADMIN: 3 } as const;

export function ProjectTabs({ projectId, role, current }: { projectId: string; role: keyof typeof RANK; current: string }) {
  return (
    <nav className="tabs" aria-label="Project">
      {TABS.filter((t) => !("minRole" in t) || RANK[role] >= RANK[t.minRole]).map((t) => (
        <Link key={t.label} href={`/projects/${projectId}${t.href}`} aria-current={current === t.href ? "page" : undefined}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
