import { requireAdmin } from "@/server/page-session.ts";
import { JobsTable } from "./jobs-table.tsx";

export default async function JobsPage() {
  await requireAdmin("/admin/jobs");
  return (
    <>
      <h1>Jobs</h1>
      <JobsTable />
    </>
  );
}
