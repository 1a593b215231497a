// Projects: the list (server-side search, sort and paging), creating one, deleting one.
import { useState } from "preact/hooks";
import { api, ApiError } from "../../api/client";
import type { Project } from "../../api/types";
import { ConfirmDialog, Dialog, FormActions } from "../../components/Dialog";
import { Link } from "../../components/Link";
import { SearchBox, SortHeader } from "../../components/Listing";
import { Pager } from "../../components/Pager";
import { humanSize, listingQuery, type ListingState } from "../../lib/listing";
import { useLoad } from "../../lib/useLoad";
import { navigate } from "../../router";

export const ROLES: Record<number, string> = { 1: "Project Admin", 2: "Developer", 3: "Guest", 4: "Maintainer", 5: "Limited Guest" };

interface ProjectRow extends Project {
  quota?: { used?: number; hard?: number };
}

async function withQuotas(projects: Project[]): Promise<ProjectRow[]> {
  if (projects.length === 0) return projects;
  try {
    const ids = projects.map((p) => p.project_id).join(" ");
    const quotas = await api.json<{ ref?: { id?: number }; hard?: { storage?: number }; used?: { storage?: number } }[]>(
      "GET", `/api/v2.0/quotas?q=${encodeURIComponent(`reference=project,reference_id={${ids}}`)}&page_size=${projects.length}`);
    const byProject = new Map(quotas.map((q) => [q.ref?.id, q]));
    return projects.map((p) => {
      const q = byProject.get(p.project_id);
      return q ? { ...p, quota: { used: q.used?.storage, hard: q.hard?.storage } } : p;
    });
  } catch {
    return projects; // quotas are for admins: others see the list without them
  }
}

export function ProjectsPage() {
  const [state, setState] = useState<ListingState>({ page: 1, pageSize: 15, search: "", sort: "name" });
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ProjectRow | null>(null);
  const listing = useLoad(async () => {
    const page = await api.page<Project>(`/api/v2.0/projects?${listingQuery(state)}&with_detail=true`);
    return { items: await withQuotas(page.items), total: page.total };
  }, [state]);

  const projects = listing.data?.items ?? [];

  return (
    <section>
      <header class="page-head">
        <h1>Projects</h1>
        <button onClick={() => setCreating(true)}>New project</button>
      </header>
      <div class="toolbar">
        <SearchBox label="Search projects" value={state.search} onSearch={(search) => setState({ ...state, search, page: 1 })} />
      </div>
      {listing.error && <p class="error" role="alert">{listing.error}</p>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <SortHeader state={state} onChange={setState} field="name" label="Name" />
              <th>Access level</th>
              <th>Role</th>
              <th class="num">Repositories</th>
              <th>Quota used</th>
              <SortHeader state={state} onChange={setState} field="creation_time" label="Created" />
              <th><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {projects.map((p) => (
              <tr key={p.project_id}>
                <td><Link href={`/projects/${encodeURIComponent(p.name)}`}>{p.name}</Link></td>
                <td>{p.metadata?.public === "true" ? "Public" : "Private"}</td>
                <td>{p.current_user_role_id ? ROLES[p.current_user_role_id] ?? "" : ""}</td>
                <td class="num">{p.repo_count ?? 0}</td>
                <td>{p.quota ? `${humanSize(p.quota.used ?? 0)} of ${(p.quota.hard ?? -1) < 0 ? "unlimited" : humanSize(p.quota.hard ?? 0)}` : ""}</td>
                <td>{p.creation_time ? new Date(p.creation_time).toLocaleString() : ""}</td>
                <td>
                  <button class="danger small" aria-label={`Delete project ${p.name}`}
                    onClick={() => setDeleting(p)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!listing.loading && projects.length === 0 && <p class="muted">No projects{state.search ? ` match "${state.search}"` : ""}.</p>}
      <Pager total={listing.data?.total ?? 0} page={state.page} pageSize={state.pageSize} onPage={(page) => setState({ ...state, page })} />
      {creating && (
        <NewProjectDialog onClose={(created) => {
          setCreating(false);
          if (created) navigate(`/projects/${encodeURIComponent(created)}`);
        }} />
      )}
      {deleting && (
        <ConfirmDialog title={`Delete project ${deleting.name}?`} confirm="Delete"
          message="The project and its settings go at once. A project that still holds repositories cannot be deleted: delete them first."
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.request("DELETE", `/api/v2.0/projects/${encodeURIComponent(deleting.name)}`);
            setDeleting(null);
            listing.reload();
          }} />
      )}
    </section>
  );
}

function NewProjectDialog(props: { onClose: (created: string | null) => void }) {
  const [name, setName] = useState("");
  const [isPublic, setPublic] = useState(false);
  const [limitGiB, setLimitGiB] = useState("");
  const [error, setError] = useState("");

  async function submit(event: Event) {
    event.preventDefault();
    const limit = limitGiB.trim() === "" ? -1 : Math.round(Number(limitGiB) * 1024 ** 3);
    if (Number.isNaN(limit) || (limitGiB.trim() !== "" && limit <= 0)) {
      setError("The storage limit must be a positive number of GiB.");
      return;
    }
    try {
      await api.request("POST", "/api/v2.0/projects", {
        project_name: name.trim(),
        metadata: { public: String(isPublic) },
        storage_limit: limit,
      });
      props.onClose(name.trim());
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }

  return (
    <Dialog title="New project" onClose={() => props.onClose(null)}>
      <form onSubmit={submit}>
        <label>
          Name
          <input required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label class="inline">
          <input type="checkbox" checked={isPublic} onChange={(e) => setPublic((e.target as HTMLInputElement).checked)} />
          Public (anyone may pull)
        </label>
        <label>
          Storage limit in GiB (empty: none)
          <input inputMode="decimal" value={limitGiB} onInput={(e) => setLimitGiB((e.target as HTMLInputElement).value)} />
        </label>
        <FormActions submit="Create" error={error} onCancel={() => props.onClose(null)} />
      </form>
    </Dialog>
  );
}
