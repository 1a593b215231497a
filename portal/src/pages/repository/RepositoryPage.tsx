// A repository's artifacts: digest, tags, type, size, platforms, vulnerabilities, signature,
// labels, push and pull times; add and delete tags, copy pull commands, delete an artifact.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { Artifact } from "../../api/types";
import { CopyButton } from "../../components/CopyButton";
import { ConfirmDialog, Dialog, FormActions } from "../../components/Dialog";
import { Link } from "../../components/Link";
import { Pager } from "../../components/Pager";
import { SeverityBar } from "../../components/SeverityBar";
import { overviewOf, platforms, pullCommand, repositoryPath } from "../../lib/artifacts";
import { humanSize } from "../../lib/listing";
import { useLoad } from "../../lib/useLoad";

export function isSigned(artifact: Artifact): boolean {
  return (artifact.accessories ?? []).some((a) => a.type.startsWith("signature"));
}

export function RepositoryPage(props: { project: string; repository: string }) {
  const full = `${props.project}/${props.repository}`;
  const api_path = `${repositoryPath(props.project, props.repository)}/artifacts`;
  const [page, setPage] = useState(1);
  const [tagging, setTagging] = useState<Artifact | null>(null);
  const [confirm, setConfirm] = useState<{ title: string; message: string; run: () => Promise<unknown> } | null>(null);
  const listing = useLoad(
    () => api.page<Artifact>(`${api_path}?page=${page}&page_size=15&with_tag=true&with_label=true&with_scan_overview=true&with_accessory=true`),
    [api_path, page],
  );
  const host = window.location.host;
  const artifacts = listing.data?.items ?? [];
  const projectHref = `/projects/${encodeURIComponent(props.project)}`;

  return (
    <section>
      <p class="crumbs">
        <Link href="/projects">Projects</Link> / <Link href={`${projectHref}/repositories`}>{props.project}</Link> /
      </p>
      <header class="page-head"><h1>{full}</h1></header>
      {listing.error && <p class="error" role="alert">{listing.error}</p>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Artifact</th><th>Tags</th><th>Type</th><th class="num">Size</th><th>Platforms</th>
              <th>Vulnerabilities</th><th>Signed</th><th>Labels</th><th>Pushed</th><th>Pulled</th><th><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {artifacts.map((a) => {
              const short = a.digest.slice(0, 19);
              return (
                <tr key={a.digest}>
                  <td>
                    <Link class="mono" href={`${projectHref}/repositories/${encodeURIComponent(props.repository)}/artifacts/${a.digest}`}>{short}</Link>
                    <div><CopyButton text={pullCommand(host, full, a.digest)} label={`Copy the pull command of ${short}`} /></div>
                  </td>
                  <td>
                    {(a.tags ?? []).map((t) => (
                      <span class="tag" key={t.name}>
                        {t.name}
                        <CopyButton text={pullCommand(host, full, t.name)} label={`Copy the pull command of tag ${t.name}`} />
                        <button class="danger small" aria-label={`Delete tag ${t.name}`}
                          onClick={() => setConfirm({
                            title: `Delete tag ${t.name}?`,
                            message: `The tag goes; artifact ${short} stays.`,
                            run: () => api.request("DELETE", `${api_path}/${a.digest}/tags/${encodeURIComponent(t.name)}`),
                          })}>×</button>
                      </span>
                    ))}
                  </td>
                  <td>{a.type ?? ""}</td>
                  <td class="num">{humanSize(a.size ?? 0)}</td>
                  <td>{platforms(a).join(", ")}</td>
                  <td><SeverityBar overview={overviewOf(a)} /></td>
                  <td>{isSigned(a) ? "Signed" : "No"}</td>
                  <td>{(a.labels ?? []).map((l) => <span class="tag" key={l.id}>{l.name}</span>)}</td>
                  <td>{a.push_time ? new Date(a.push_time).toLocaleString() : ""}</td>
                  <td>{a.pull_time && !a.pull_time.startsWith("0001") ? new Date(a.pull_time).toLocaleString() : "never"}</td>
                  <td class="row-actions">
                    <button class="secondary small" aria-label={`Add a tag to ${short}`} onClick={() => setTagging(a)}>Add tag</button>
                    <button class="danger small" aria-label={`Delete artifact ${short}`}
                      onClick={() => setConfirm({
                        title: `Delete artifact ${short}?`,
                        message: "The artifact and all its tags are deleted; its storage is freed by the next garbage collection.",
                        run: () => api.request("DELETE", `${api_path}/${a.digest}`),
                      })}>Delete</button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {!listing.loading && artifacts.length === 0 && <p class="muted">No artifacts.</p>}
      <Pager total={listing.data?.total ?? 0} page={page} pageSize={15} onPage={setPage} />
      {tagging && <AddTagDialog path={`${api_path}/${tagging.digest}/tags`} onClose={(added) => { setTagging(null); if (added) listing.reload(); }} />}
      {confirm && (
        <ConfirmDialog title={confirm.title} message={confirm.message} confirm="Delete"
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            await confirm.run();
            setConfirm(null);
            listing.reload();
          }} />
      )}
    </section>
  );
}

function AddTagDialog(props: { path: string; onClose: (added: boolean) => void }) {
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  return (
    <Dialog title="Add tag" onClose={() => props.onClose(false)}>
      <form onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api.request("POST", props.path, { name: name.trim() });
          props.onClose(true);
        } catch (err) {
          setError((err as Error).message);
        }
      }}>
        <label>Tag<input required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
        <FormActions submit="Add" error={error} onCancel={() => props.onClose(false)} />
      </form>
    </Dialog>
  );
}
