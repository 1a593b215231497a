// A project's members: add a user with a role, change a member's role, remove a member.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { Member } from "../../api/types";
import { ConfirmDialog, Dialog, FormActions } from "../../components/Dialog";
import { SearchBox } from "../../components/Listing";
import { Pager } from "../../components/Pager";
import { useAction } from "../../lib/useAction";
import { useLoad } from "../../lib/useLoad";
import { ROLES } from "../projects/ProjectsPage";

const ROLE_ORDER = [1, 4, 2, 3, 5];

function RoleSelect(props: { value: number; onChange: (role: number) => void; label?: string }) {
  return (
    <select aria-label={props.label} value={String(props.value)} onChange={(e) => props.onChange(Number((e.target as HTMLSelectElement).value))}>
      {ROLE_ORDER.map((id) => <option key={id} value={String(id)}>{ROLES[id]}</option>)}
    </select>
  );
}

export function MembersTab(props: { name: string }) {
  const path = `/api/v2.0/projects/${encodeURIComponent(props.name)}/members`;
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState("");
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  const listing = useLoad(() => {
    const q = new URLSearchParams({ page: String(page), page_size: "15" });
    if (search.trim()) q.set("entityname", search.trim());
    return api.page<Member>(`${path}?${q}`);
  }, [path, page, search]);

  const { error, act } = useAction(listing.reload);

  const members = listing.data?.items ?? [];
  return (
    <div>
      <div class="toolbar">
        <SearchBox label="Search members" value={search} onSearch={(text) => { setSearch(text); setPage(1); }} />
        <button onClick={() => setAdding(true)}>Add member</button>
      </div>
      {(listing.error || error) && <p class="error" role="alert">{listing.error || error}</p>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr><th>Name</th><th>Type</th><th>Role</th><th><span class="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.id}>
                <td>{m.entity_name}</td>
                <td>{m.entity_type === "g" ? "Group" : "User"}</td>
                <td><RoleSelect label={`Role of ${m.entity_name}`} value={m.role_id} onChange={(role) => void act(() => api.request("PUT", `${path}/${m.id}`, { role_id: role }))} /></td>
                <td>
                  <button class="danger small" aria-label={`Remove member ${m.entity_name}`} onClick={() => setRemoving(m)}>Remove</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager total={listing.data?.total ?? 0} page={page} pageSize={15} onPage={setPage} />
      {adding && <AddMemberDialog path={path} onClose={(added) => { setAdding(false); if (added) listing.reload(); }} />}
      {removing && (
        <ConfirmDialog title={`Remove ${removing.entity_name}?`} confirm="Remove"
          message={`${removing.entity_name} loses access to ${props.name} at once.`}
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await api.request("DELETE", `${path}/${removing.id}`);
            setRemoving(null);
            listing.reload();
          }} />
      )}
    </div>
  );
}

function AddMemberDialog(props: { path: string; onClose: (added: boolean) => void }) {
  const [username, setUsername] = useState("");
  const [role, setRole] = useState(2);
  const [error, setError] = useState("");
  return (
    <Dialog title="Add member" onClose={() => props.onClose(false)}>
      <form onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api.request("POST", props.path, { role_id: role, member_user: { username: username.trim() } });
          props.onClose(true);
        } catch (err) {
          setError((err as Error).message);
        }
      }}>
        <label>
          User name
          <input required autocomplete="off" value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Role
          <RoleSelect value={role} onChange={setRole} />
        </label>
        <FormActions submit="Add" error={error} onCancel={() => props.onClose(false)} />
      </form>
    </Dialog>
  );
}
