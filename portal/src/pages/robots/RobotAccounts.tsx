// Robot accounts, of one project or of the whole system: list, create (abilities and expiry), the
// secret shown once with a copy button, refresh the secret, disable or enable, delete.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { Project, Robot, RobotCreated } from "../../api/types";
import { CopyButton } from "../../components/CopyButton";
import { ConfirmDialog, Dialog, FormActions } from "../../components/Dialog";
import { Pager } from "../../components/Pager";
import { ABILITIES, abilitiesOf, expiryLabel, permissionsFor } from "../../lib/robots";
import { useAction } from "../../lib/useAction";
import { useLoad } from "../../lib/useLoad";

export function RobotAccounts(props: { project?: Project }) {
  const level = props.project ? "project" : "system";
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [deleting, setDeleting] = useState<Robot | null>(null);
  const listing = useLoad(() => {
    const q = props.project ? `Level=project,ProjectID=${props.project.project_id}` : "Level=system";
    return api.page<Robot>(`/api/v2.0/robots?q=${encodeURIComponent(q)}&page=${page}&page_size=15`);
  }, [props.project?.project_id, page]);

  const { error, act } = useAction(listing.reload);

  const robots = listing.data?.items ?? [];
  return (
    <div>
      <div class="toolbar">
        <button onClick={() => setCreating(true)}>New robot account</button>
      </div>
      {(listing.error || error) && <p class="error" role="alert">{listing.error || error}</p>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr><th>Name</th><th>Status</th><th>May</th><th>Expires</th><th>Description</th><th><span class="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {robots.map((r) => (
              <tr key={r.id}>
                <td class="mono">{r.name}</td>
                <td>{r.disable ? "Disabled" : "Enabled"}</td>
                <td>{abilitiesOf(r).join(", ")}</td>
                <td>{expiryLabel(r.expires_at)}</td>
                <td>{r.description ?? ""}</td>
                <td class="row-actions">
                  <button class="secondary small" aria-label={`Refresh the secret of ${r.name}`}
                    onClick={() => void act(async () => {
                      const refreshed = await api.json<{ secret: string }>("PATCH", `/api/v2.0/robots/${r.id}`, {});
                      setSecret({ name: r.name, secret: refreshed.secret });
                    })}>Refresh secret</button>
                  <button class="secondary small" aria-label={`${r.disable ? "Enable" : "Disable"} ${r.name}`}
                    onClick={() => void act(() => api.request("PUT", `/api/v2.0/robots/${r.id}`, {
                      name: r.name, level: r.level, description: r.description, permissions: r.permissions, disable: !r.disable }).then(() => undefined))}>
                    {r.disable ? "Enable" : "Disable"}
                  </button>
                  <button class="danger small" aria-label={`Delete ${r.name}`} onClick={() => setDeleting(r)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!listing.loading && robots.length === 0 && <p class="muted">No robot accounts yet.</p>}
      <Pager total={listing.data?.total ?? 0} page={page} pageSize={15} onPage={setPage} />
      {creating && (
        <NewRobotDialog level={level} project={props.project}
          onClose={(created) => {
            setCreating(false);
            if (created) {
              setSecret({ name: created.name, secret: created.secret });
              listing.reload();
            }
          }} />
      )}
      {secret && <SecretDialog name={secret.name} secret={secret.secret} onClose={() => setSecret(null)} />}
      {deleting && (
        <ConfirmDialog title={`Delete ${deleting.name}?`} confirm="Delete"
          message="Clients that sign in with this robot account are refused from now on."
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.request("DELETE", `/api/v2.0/robots/${deleting.id}`);
            setDeleting(null);
            listing.reload();
          }} />
      )}
    </div>
  );
}

// The secret, once: Berth keeps only its hash, so closing this dialog is the last chance to copy it.
function SecretDialog(props: { name: string; secret: string; onClose: () => void }) {
  return (
    <Dialog title={`Secret of ${props.name}`} onClose={props.onClose} wide>
      <p>Copy the secret now: it is shown only this once.</p>
      <div class="secret">
        <code data-testid="robot-secret">{props.secret}</code>
        <CopyButton text={props.secret} label="Copy the secret" />
      </div>
      <div class="actions"><button onClick={props.onClose}>Done</button></div>
    </Dialog>
  );
}

function NewRobotDialog(props: { level: string; project?: Project; onClose: (created: RobotCreated | null) => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [days, setDays] = useState("30");
  const [abilities, setAbilities] = useState<string[]>(["pull", "push"]);
  const [error, setError] = useState("");

  async function submit(event: Event) {
    event.preventDefault();
    const duration = days.trim() === "" ? -1 : Number(days);
    if (!Number.isInteger(duration) || (duration <= 0 && duration !== -1)) {
      setError("The expiry must be a whole number of days, or empty for never.");
      return;
    }
    if (abilities.length === 0) {
      setError("Choose at least one thing the robot may do.");
      return;
    }
    try {
      const created = await api.json<RobotCreated>("POST", "/api/v2.0/robots", {
        name: name.trim(),
        description,
        level: props.level,
        duration,
        disable: false,
        permissions: permissionsFor(props.project?.name ?? "*", abilities),
      });
      props.onClose(created);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <Dialog title="New robot account" onClose={() => props.onClose(null)} wide>
      <form onSubmit={submit}>
        <label>
          Name
          <input required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Description
          <input value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Expires after (days; empty: never)
          <input inputMode="numeric" value={days} onInput={(e) => setDays((e.target as HTMLInputElement).value)} />
        </label>
        <fieldset>
          <legend>{props.project ? `In ${props.project.name}, it may` : "In every project, it may"}</legend>
          {ABILITIES.map((a) => (
            <label class="inline" key={a.id}>
              <input type="checkbox" checked={abilities.includes(a.id)}
                onChange={(e) => setAbilities((e.target as HTMLInputElement).checked ? [...abilities, a.id] : abilities.filter((x) => x !== a.id))} />
              {a.label}
            </label>
          ))}
        </fieldset>
        <FormActions submit="Create" error={error} onCancel={() => props.onClose(null)} />
      </form>
    </Dialog>
  );
}
