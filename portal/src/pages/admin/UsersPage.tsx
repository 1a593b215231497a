// Users (administrators only): search, create, make or unmake administrator, reset a password, delete.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { User } from "../../api/types";
import { ConfirmDialog, Dialog, FormActions } from "../../components/Dialog";
import { SearchBox } from "../../components/Listing";
import { Pager } from "../../components/Pager";
import { useAction } from "../../lib/useAction";
import { useLoad } from "../../lib/useLoad";

export function UsersPage(props: { me: string }) {
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState("");
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const listing = useLoad(() => {
    const q = new URLSearchParams({ page: String(page), page_size: "15", sort: "username" });
    if (search.trim()) q.set("q", `username=~${search.trim()}`);
    return api.page<User>(`/api/v2.0/users?${q}`);
  }, [page, search]);

  const { error, act } = useAction(listing.reload);

  const users = listing.data?.items ?? [];
  return (
    <section>
      <header class="page-head">
        <h1>Users</h1>
        <button onClick={() => setCreating(true)}>New user</button>
      </header>
      <div class="toolbar">
        <SearchBox label="Search users" value={search} onSearch={(text) => { setSearch(text); setPage(1); }} />
      </div>
      {(listing.error || error) && <p class="error" role="alert">{listing.error || error}</p>}
      <div class="table-wrap">
        <table>
          <thead><tr><th>User name</th><th>Administrator</th><th>Email</th><th>Created</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.user_id}>
                <td>{u.username}</td>
                <td>{u.sysadmin_flag ? "Yes" : "No"}</td>
                <td>{u.email ?? ""}</td>
                <td>{u.creation_time ? new Date(u.creation_time).toLocaleString() : ""}</td>
                <td class="row-actions">
                  {u.username !== props.me && (
                    <button class="secondary small" aria-label={`${u.sysadmin_flag ? "Revoke administrator from" : "Make administrator"} ${u.username}`}
                      onClick={() => void act(() => api.request("PUT", `/api/v2.0/users/${u.user_id}/sysadmin`, { sysadmin_flag: !u.sysadmin_flag }))}>
                      {u.sysadmin_flag ? "Revoke admin" : "Make admin"}
                    </button>
                  )}
                  <button class="secondary small" aria-label={`Reset the password of ${u.username}`} onClick={() => setResetting(u)}>Reset password</button>
                  {u.username !== props.me && (
                    <button class="danger small" aria-label={`Delete user ${u.username}`} onClick={() => setDeleting(u)}>Delete</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager total={listing.data?.total ?? 0} page={page} pageSize={15} onPage={setPage} />
      {creating && <NewUserDialog onClose={(created) => { setCreating(false); if (created) listing.reload(); }} />}
      {resetting && <ResetPasswordDialog user={resetting} onClose={() => setResetting(null)} />}
      {deleting && (
        <ConfirmDialog title={`Delete user ${deleting.username}?`} confirm="Delete"
          message="The user can no longer sign in and leaves every project."
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.request("DELETE", `/api/v2.0/users/${deleting.user_id}`);
            setDeleting(null);
            listing.reload();
          }} />
      )}
    </section>
  );
}

function NewUserDialog(props: { onClose: (created: boolean) => void }) {
  const [form, setForm] = useState({ username: "", email: "", realname: "", password: "" });
  const [error, setError] = useState("");
  const field = (key: keyof typeof form, label: string, type = "text", autocomplete = "off") => (
    <label>
      {label}
      <input required={key !== "realname"} type={type} autocomplete={autocomplete} value={form[key]}
        onInput={(e) => setForm({ ...form, [key]: (e.target as HTMLInputElement).value })} />
    </label>
  );
  return (
    <Dialog title="New user" onClose={() => props.onClose(false)}>
      <form onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api.request("POST", "/api/v2.0/users", form);
          props.onClose(true);
        } catch (err) {
          setError((err as Error).message);
        }
      }}>
        {field("username", "User name")}
        {field("email", "Email", "email")}
        {field("realname", "Full name")}
        {field("password", "Password", "password", "new-password")}
        <p class="muted">At least 8 characters with an upper-case letter, a lower-case letter and a digit.</p>
        <FormActions submit="Create" error={error} onCancel={() => props.onClose(false)} />
      </form>
    </Dialog>
  );
}

function ResetPasswordDialog(props: { user: User; onClose: () => void }) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  return (
    <Dialog title={`New password for ${props.user.username}`} onClose={props.onClose}>
      <form onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api.request("PUT", `/api/v2.0/users/${props.user.user_id}/password`, { new_password: password });
          props.onClose();
        } catch (err) {
          setError((err as Error).message);
        }
      }}>
        <label>New password<input required type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} /></label>
        <FormActions submit="Set password" error={error} onCancel={props.onClose} />
      </form>
    </Dialog>
  );
}
