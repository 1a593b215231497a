// A project's webhooks: policies (an endpoint, the events it wants, the payload format), switched
// on and off, and when each last fired.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { Project } from "../../api/types";
import { ConfirmDialog, Dialog, FormActions } from "../../components/Dialog";
import { useAction } from "../../lib/useAction";
import { useLoad } from "../../lib/useLoad";

interface Target {
  type: string;
  address: string;
  auth_header?: string;
  skip_cert_verify?: boolean;
  payload_format: string;
}

interface WebhookPolicy {
  id: number;
  name: string;
  description: string;
  enabled: boolean;
  event_types: string[];
  targets: Target[];
}

interface LastTrigger {
  policy_name: string;
  event_type: string;
  last_trigger_time?: string;
}

export function WebhooksTab(props: { project: Project }) {
  const p = encodeURIComponent(props.project.name);
  const policies = useLoad(() => api.page<WebhookPolicy>(`/api/v2.0/projects/${p}/webhook/policies?page_size=100`), [p]);
  const triggers = useLoad(() => api.json<LastTrigger[]>("GET", `/api/v2.0/projects/${p}/webhook/lasttrigger`), [p]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<WebhookPolicy | null>(null);
  const { error, act } = useAction(() => { policies.reload(); triggers.reload(); });
  const last = (name: string) =>
    (triggers.data ?? []).filter((t) => t.policy_name === name && t.last_trigger_time).map((t) => t.last_trigger_time!)[0];
  return (
    <div>
      <div class="toolbar">
        <button onClick={() => setCreating(true)}>New webhook</button>
      </div>
      {(policies.error || error) && <p class="error" role="alert">{policies.error || error}</p>}
      <div class="table-wrap">
        <table>
          <thead><tr><th>Name</th><th>Endpoint</th><th>Format</th><th>Events</th><th>Enabled</th><th>Last fired</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {(policies.data?.items ?? []).map((w) => (
              <tr key={w.id}>
                <td>{w.name}</td>
                <td>{w.targets[0]?.address}</td>
                <td>{w.targets[0]?.payload_format}</td>
                <td>{w.event_types.join(", ")}</td>
                <td>{w.enabled ? "Yes" : "No"}</td>
                <td>{last(w.name) ? new Date(last(w.name)!).toLocaleString() : "never"}</td>
                <td class="row-actions">
                  <button class="secondary small" aria-label={`${w.enabled ? "Disable" : "Enable"} webhook ${w.name}`}
                    onClick={() => void act(() => api.request("PUT", `/api/v2.0/projects/${p}/webhook/policies/${w.id}`, { ...w, enabled: !w.enabled }))}>
                    {w.enabled ? "Disable" : "Enable"}</button>
                  <button class="danger small" aria-label={`Delete webhook ${w.name}`} onClick={() => setDeleting(w)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {policies.data?.items.length === 0 && <p class="muted">No webhooks yet.</p>}
      {creating && <NewWebhookDialog project={p} onClose={(created) => { setCreating(false); if (created) policies.reload(); }} />}
      {deleting && (
        <ConfirmDialog title={`Delete webhook ${deleting.name}?`} confirm="Delete"
          message="Its delivery history goes too."
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.request("DELETE", `/api/v2.0/projects/${p}/webhook/policies/${deleting.id}`);
            setDeleting(null);
            policies.reload();
          }} />
      )}
    </div>
  );
}

function NewWebhookDialog(props: { project: string; onClose: (created: boolean) => void }) {
  const events = useLoad(() => api.json<{ event_type: string[] }>("GET", `/api/v2.0/projects/${props.project}/webhook/events`), [props.project]);
  const [form, setForm] = useState({ name: "", address: "", auth_header: "", payload_format: "Default" });
  const [chosen, setChosen] = useState<string[]>(["PUSH_ARTIFACT"]);
  const [error, setError] = useState("");
  const set = (key: keyof typeof form, value: string) => setForm({ ...form, [key]: value });
  return (
    <Dialog title="New webhook" onClose={() => props.onClose(false)}>
      <form onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api.request("POST", `/api/v2.0/projects/${props.project}/webhook/policies`, {
            name: form.name, enabled: true, event_types: chosen,
            targets: [{ type: "http", address: form.address, auth_header: form.auth_header, payload_format: form.payload_format }],
          });
          props.onClose(true);
        } catch (err) {
          setError((err as Error).message);
        }
      }}>
        <label>Name<input required value={form.name} onInput={(e) => set("name", (e.target as HTMLInputElement).value)} /></label>
        <label>Endpoint URL<input required type="url" placeholder="https://ci.example/hook" value={form.address}
          onInput={(e) => set("address", (e.target as HTMLInputElement).value)} /></label>
        <label>Auth header (sent as Authorization)<input autocomplete="off" value={form.auth_header}
          onInput={(e) => set("auth_header", (e.target as HTMLInputElement).value)} /></label>
        <label>Payload format
          <select value={form.payload_format} onChange={(e) => set("payload_format", (e.target as HTMLSelectElement).value)}>
            <option value="Default">Default (Harbor's)</option>
            <option value="CloudEvents">CloudEvents 1.0</option>
          </select>
        </label>
        <fieldset>
          <legend>Events</legend>
          {(events.data?.event_type ?? []).map((type) => (
            <label key={type} class="inline">
              <input type="checkbox" checked={chosen.includes(type)}
                onChange={(e) => setChosen((e.target as HTMLInputElement).checked ? [...chosen, type] : chosen.filter((t) => t !== type))} />
              {type}
            </label>
          ))}
        </fieldset>
        <FormActions submit="Create" error={error} onCancel={() => props.onClose(false)} />
      </form>
    </Dialog>
  );
}
