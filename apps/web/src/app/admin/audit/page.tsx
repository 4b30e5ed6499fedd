import { requireAdmin } from "@/server/page-session.ts";

export default async function AuditPage() {
  const { caller } = await requireAdmin("/admin/audit");
  const entries = await caller.audit.list({ limit: 200 });
  return (
    <>
      <h1>Audit log</h1>
      {entries.length === 0 ? (
        <p className="muted">Nothing recorded yet.</p>
      ) : (
        <table data-testid="audit">
          <thead><tr><th>When</th><th>Who</th><th>Action</th><th>Entity</th><th>Details</th></tr></thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id.toString()}>
                <td>{e.createdAt.toLocaleString()}</td>
                <td>{e.actor?.email ?? "system"}</td>
                <td>{e.action}</td>
                <td>{e.entityType}{e.entityId ? ` ${e.entityId}` : ""}</td>
                <td><code>{JSON.stringify(e.data)}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
