// A project's repositories: server-side search and paging, and deleting one (with its artifacts).
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { Repository } from "../../api/types";
import { ConfirmDialog } from "../../components/Dialog";
import { Link } from "../../components/Link";
import { Pager } from "../../components/Pager";
import { repositoryPath } from "../../lib/artifacts";
import { listingQuery, nextSort, type ListingState } from "../../lib/listing";
import { useLoad } from "../../lib/useLoad";

// The repository's name inside its project ("team/app" in project "team" is "app").
export function shortName(project: string, repository: string): string {
  return repository.startsWith(`${project}/`) ? repository.slice(project.length + 1) : repository;
}

export function RepositoriesTab(props: { name: string }) {
  const name = props.name;
  const [state, setState] = useState<ListingState>({ page: 1, pageSize: 15, search: "", sort: "name" });
  const [deleting, setDeleting] = useState<Repository | null>(null);
  const [deleteError, setDeleteError] = useState("");
  const listing = useLoad(
    () => api.page<Repository>(`/api/v2.0/projects/${encodeURIComponent(name)}/repositories?${listingQuery(state)}`),
    [name, state],
  );
  const repositories = listing.data?.items ?? [];
  const sortHeader = (field: string, label: string, numeric = false) => (
    <th class={numeric ? "num" : undefined} aria-sort={state.sort === field ? "ascending" : state.sort === `-${field}` ? "descending" : "none"}>
      <button class="link" onClick={() => setState({ ...state, sort: nextSort(state.sort, field), page: 1 })}>{label}</button>
    </th>
  );

  return (
    <div>
      <div class="toolbar">
        <input type="search" aria-label="Search repositories" placeholder="Search repositories" value={state.search}
          onInput={(e) => setState({ ...state, search: (e.target as HTMLInputElement).value, page: 1 })} />
      </div>
      {listing.error && <p class="error" role="alert">{listing.error}</p>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              {sortHeader("name", "Name")}
              <th class="num">Artifacts</th>
              <th class="num">Pulls</th>
              {sortHeader("update_time", "Last modified")}
              <th><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {repositories.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link href={`/projects/${encodeURIComponent(name)}/repositories/${encodeURIComponent(shortName(name, r.name))}`}>{r.name}</Link>
                </td>
                <td class="num">{r.artifact_count ?? 0}</td>
                <td class="num">{r.pull_count ?? 0}</td>
                <td>{r.update_time ? new Date(r.update_time).toLocaleString() : ""}</td>
                <td>
                  <button class="danger small" aria-label={`Delete repository ${r.name}`}
                    onClick={() => { setDeleteError(""); setDeleting(r); }}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!listing.loading && repositories.length === 0 && (
        <p class="muted">{state.search ? `No repository matches "${state.search}".` : "No repositories yet: push an image to create one."}</p>
      )}
      <Pager total={listing.data?.total ?? 0} page={state.page} pageSize={state.pageSize} onPage={(page) => setState({ ...state, page })} />
      {deleting && (
        <ConfirmDialog title={`Delete repository ${deleting.name}?`} confirm="Delete" error={deleteError}
          message="Every artifact and tag in it is deleted; its storage is freed by the next garbage collection."
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            try {
              await api.request("DELETE", repositoryPath(name, deleting.name));
              setDeleting(null);
              listing.reload();
            } catch (e) {
              setDeleteError((e as Error).message);
            }
          }} />
      )}
    </div>
  );
}
