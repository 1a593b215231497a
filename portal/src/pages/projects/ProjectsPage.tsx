// Projects: the list (server-side search, sort and paging), and creating one.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../../api/client";
import type { Project } from "../../api/types";
import { listingQuery, nextSort, pageCount, rangeLabel, type ListingState } from "../../lib/listing";

const ROLES: Record<number, string> = { 1: "Project Admin", 2: "Developer", 3: "Guest", 4: "Maintainer", 5: "Limited Guest" };

export function ProjectsPage() {
  const [state, setState] = useState<ListingState>({ page: 1, pageSize: 15, search: "", sort: "name" });
  const [projects, setProjects] = useState<Project[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState("");
  const [creating, setCreating] = useState(false);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    api
      .page<Project>(`/api/v2.0/projects?${listingQuery(state)}&with_detail=true`)
      .then((page) => {
        if (!live) return;
        setProjects(page.items);
        setTotal(page.total);
        setError("");
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [state, reload]);

  const pages = pageCount(total, state.pageSize);
  const sortHeader = (field: string, label: string) => (
    <th aria-sort={state.sort === field ? "ascending" : state.sort === `-${field}` ? "descending" : "none"}>
      <button class="link" onClick={() => setState({ ...state, sort: nextSort(state.sort, field), page: 1 })}>{label}</button>
    </th>
  );

  return (
    <section>
      <header class="page-head">
        <h1>Projects</h1>
        <button onClick={() => setCreating(true)}>New project</button>
      </header>
      <input type="search" aria-label="Search projects" placeholder="Search projects" value={state.search}
        onInput={(e) => setState({ ...state, search: (e.target as HTMLInputElement).value, page: 1 })} />
      {error && <p class="error" role="alert">{error}</p>}
      <table>
        <thead>
          <tr>
            {sortHeader("name", "Name")}
            <th>Access level</th>
            <th>Role</th>
            <th>Repositories</th>
            {sortHeader("creation_time", "Created")}
          </tr>
        </thead>
        <tbody>
          {projects.map((p) => (
            <tr key={p.project_id}>
              <td>{p.name}</td>
              <td>{p.metadata?.public === "true" ? "Public" : "Private"}</td>
              <td>{p.current_user_role_id ? ROLES[p.current_user_role_id] ?? "" : ""}</td>
              <td>{p.repo_count ?? 0}</td>
              <td>{p.creation_time ? new Date(p.creation_time).toLocaleString() : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages">
        <span>{rangeLabel(total, state.page, state.pageSize)}</span>
        <button disabled={state.page <= 1} onClick={() => setState({ ...state, page: state.page - 1 })}>Previous</button>
        <button disabled={state.page >= pages} onClick={() => setState({ ...state, page: state.page + 1 })}>Next</button>
      </nav>
      {creating && <NewProjectDialog onClose={(created) => { setCreating(false); if (created) setReload(reload + 1); }} />}
    </section>
  );
}

function NewProjectDialog(props: { onClose: (created: boolean) => void }) {
  const [name, setName] = useState("");
  const [isPublic, setPublic] = useState(false);
  const [limitGiB, setLimitGiB] = useState("");
  const [error, setError] = useState("");

  async function submit(event: Event) {
    event.preventDefault();
    const limit = limitGiB.trim() === "" ? -1 : Math.round(Number(limitGiB) * 1024 ** 3);
    if (Number.isNaN(limit)) {
      setError("The storage limit must be a number of GiB.");
      return;
    }
    try {
      await api.request("POST", "/api/v2.0/projects", {
        project_name: name,
        metadata: { public: String(isPublic) },
        storage_limit: limit,
      });
      props.onClose(true);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }

  return (
    <div class="backdrop">
      <form class="card dialog" role="dialog" aria-modal="true" aria-labelledby="new-project-title" onSubmit={submit}>
        <h2 id="new-project-title">New project</h2>
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
        {error && <p class="error" role="alert">{error}</p>}
        <div class="actions">
          <button type="button" class="secondary" onClick={() => props.onClose(false)}>Cancel</button>
          <button type="submit">Create</button>
        </div>
      </form>
    </div>
  );
}
