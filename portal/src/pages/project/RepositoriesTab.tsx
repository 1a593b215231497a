// A project's repositories: server-side search and paging, and deleting one (with its artifacts).
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { Repository } from "../../api/types";
import { ConfirmDialog } from "../../components/Dialog";
import { Link } from "../../components/Link";
import { SearchBox, SortHeader } from "../../components/Listing";
import { Pager } from "../../components/Pager";
import { repositoryPath } from "../../lib/artifacts";
import { listingQuery, type ListingState } from "../../lib/listing";
import { useLoad } from "../../lib/useLoad";

// The repository's name inside its project ("team/app" in project "team" is "app").
export function shortName(project: string, repository: string): string {
  return repository.startsWith(`${project}/`) ? repository.slice(project.length + 1) : repository;
}

export function RepositoriesTab(props: { name: string }) {
  const name = props.name;
  const [state, setState] = useState<ListingState>({ page: 1, pageSize: 15, search: "", sort: "name" });
  const [deleting, setDeleting] = useState<Repository | null>(null);
  const listing = useLoad(
    () => api.page<Repository>(`/api/v2.0/projects/${encodeURIComponent(name)}/repositories?${listingQuery(state)}`),
    [name, state],
  );
  const repositories = listing.data?.items ?? [];

  return (
    <div>
      <div class="toolbar">
        <SearchBox label="Search repositories" value={state.search} onSearch={(search) => setState({ ...state, search, page: 1 })} />
      </div>
      {listing.error && <p class="error" role="alert">{listing.error}</p>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <SortHeader state={state} onChange={setState} field="name" label="Name" />
              <th class="num">Artifacts</th>
              <th class="num">Pulls</th>
              <SortHeader state={state} onChange={setState} field="update_time" label="Last modified" />
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
                    onClick={() => setDeleting(r)}>Delete</button>
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
        <ConfirmDialog title={`Delete repository ${deleting.name}?`} confirm="Delete"
          message="Every artifact and tag in it is deleted; its storage is freed by the next garbage collection."
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.request("DELETE", repositoryPath(name, deleting.name));
            setDeleting(null);
            listing.reload();
          }} />
      )}
    </div>
  );
}
