import { requireAdmin } from "@/server/page-session.ts";
import { CreateUserForm, UserActions } from "./user-forms.tsx";

export default async function UsersPage() {
  const { user: me, caller } = await requireAdmin("/admin/users");
  const users = await caller.users.list();
  return (
    <>
      <h1>Users and roles</h1>
      <table data-testid="users">
        <thead><tr><th>Email</th><th>Name</th><th>Role</th><th>Projects</th><th>State</th><th /></tr></thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <td>{u.email}</td>
              <td>{u.name ?? ""}</td>
              <UserActions userId={u.id} email={u.email} role={u.role} disabled={u.disabled} isMe={u.id === me.id} />
              <td>{u._count.memberships}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>New user</h2>
      <CreateUserForm />
    </>
  );
}
