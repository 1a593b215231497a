// Registries and replication (administrators only): the other registries Berth talks to, with a
// connection test; replication rules (push or pull, filters, destination, trigger), run on demand,
// with their executions and each task's log.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import { ConfirmDialog, Dialog, FormActions } from "../../components/Dialog";
import { useAction } from "../../lib/useAction";
import { useLoad } from "../../lib/useLoad";

export interface RegistryEndpoint {
  id: number;
  name: string;
  type: string;
  url: string;
  status: string;
  insecure: boolean;
  credential?: { access_key?: string };
}

interface Filter {
  type: string;
  value: string;
  decoration?: string;
}

interface ReplicationPolicy {
  id: number;
  name: string;
  src_registry?: { id: number; name: string };
  dest_registry?: { id: number; name: string };
  dest_namespace: string;
  trigger: { type: string; trigger_settings?: { cron?: string } };
  filters: Filter[];
  override: boolean;
  enabled: boolean;
}

interface Execution {
  id: number;
  status: string;
  status_text: string;
  trigger: string;
  start_time: string;
  total: number;
  succeed: number;
  failed: number;
  in_progress: number;
}

interface Task {
  id: number;
  src_resource: string;
  dst_resource: string;
  status: string;
}

const TYPES = [
  ["docker-registry", "Docker Registry (any OCI registry)"],
  ["harbor", "Harbor (or another Berth)"],
  ["docker-hub", "Docker Hub"],
] as const;

export function RegistriesPage() {
  const listing = useLoad(() => api.page<RegistryEndpoint>("/api/v2.0/registries?page_size=100"), []);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<RegistryEndpoint | null>(null);
  const registries = listing.data?.items ?? [];
  return (
    <section>
      <header class="page-head">
        <h1>Registries</h1>
        <button onClick={() => setCreating(true)}>New registry</button>
      </header>
      {listing.error && <p class="error" role="alert">{listing.error}</p>}
      <div class="table-wrap">
        <table>
          <thead><tr><th>Name</th><th>Provider</th><th>URL</th><th>Status</th><th>Access ID</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {registries.map((r) => (
              <tr key={r.id}>
                <td>{r.name}</td>
                <td>{r.type}</td>
                <td>{r.url}</td>
                <td>{r.status === "healthy" ? "Healthy" : r.status || "Unknown"}</td>
                <td>{r.credential?.access_key ?? ""}</td>
                <td class="row-actions">
                  <button class="danger small" aria-label={`Delete registry ${r.name}`} onClick={() => setDeleting(r)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {registries.length === 0 && listing.data && <p class="muted">No registries yet.</p>}
      {creating && <NewRegistryDialog onClose={(created) => { setCreating(false); if (created) listing.reload(); }} />}
      {deleting && (
        <ConfirmDialog title={`Delete registry ${deleting.name}?`} confirm="Delete"
          message="Its stored credentials go too. A registry that a replication rule or a proxy-cache project uses cannot be deleted."
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.request("DELETE", `/api/v2.0/registries/${deleting.id}`);
            setDeleting(null);
            listing.reload();
          }} />
      )}
    </section>
  );
}

function NewRegistryDialog(props: { onClose: (created: boolean) => void }) {
  const [form, setForm] = useState({ type: "docker-registry", name: "", url: "", access_key: "", access_secret: "", insecure: false });
  const [error, setError] = useState("");
  const [tested, setTested] = useState("");
  const set = (key: keyof typeof form, value: string | boolean) => setForm({ ...form, [key]: value });
  const body = () => ({
    name: form.name, type: form.type, url: form.url, insecure: form.insecure,
    credential: form.access_key ? { type: "basic", access_key: form.access_key, access_secret: form.access_secret } : undefined,
  });
  return (
    <Dialog title="New registry" onClose={() => props.onClose(false)}>
      <form onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api.request("POST", "/api/v2.0/registries", body());
          props.onClose(true);
        } catch (err) {
          setError((err as Error).message);
        }
      }}>
        <label>Provider
          <select value={form.type} onChange={(e) => set("type", (e.target as HTMLSelectElement).value)}>
            {TYPES.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
          </select>
        </label>
        <label>Name<input required value={form.name} onInput={(e) => set("name", (e.target as HTMLInputElement).value)} /></label>
        <label>Endpoint URL<input required={form.type !== "docker-hub"} type="url" placeholder="https://registry.example.com" value={form.url}
          onInput={(e) => set("url", (e.target as HTMLInputElement).value)} /></label>
        <label>Access ID<input autocomplete="off" value={form.access_key} onInput={(e) => set("access_key", (e.target as HTMLInputElement).value)} /></label>
        <label>Access secret<input type="password" autocomplete="new-password" value={form.access_secret}
          onInput={(e) => set("access_secret", (e.target as HTMLInputElement).value)} /></label>
        <label class="inline"><input type="checkbox" checked={!form.insecure} onChange={(e) => set("insecure", !(e.target as HTMLInputElement).checked)} />
          Verify the registry's certificate</label>
        <p class="muted">The secret is stored encrypted and never shown again.</p>
        <p><button type="button" class="secondary" onClick={async () => {
          setTested("");
          try {
            await api.request("POST", "/api/v2.0/registries/ping", {
              type: form.type, url: form.url, insecure: form.insecure,
              access_key: form.access_key || undefined, access_secret: form.access_secret || undefined,
            });
            setTested("The registry answered.");
          } catch (err) {
            setTested((err as Error).message);
          }
        }}>Test connection</button></p>
        {tested && <p role="status">{tested}</p>}
        <FormActions submit="Create" error={error} onCancel={() => props.onClose(false)} />
      </form>
    </Dialog>
  );
}

export function ReplicationsPage() {
  const policies = useLoad(() => api.page<ReplicationPolicy>("/api/v2.0/replication/policies?page_size=100"), []);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ReplicationPolicy | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const { error, act } = useAction(policies.reload);
  const items = policies.data?.items ?? [];
  const filter = (p: ReplicationPolicy, type: string) => p.filters.find((f) => f.type === type)?.value ?? "";
  return (
    <section>
      <header class="page-head">
        <h1>Replications</h1>
        <button onClick={() => setCreating(true)}>New replication rule</button>
      </header>
      {(policies.error || error) && <p class="error" role="alert">{policies.error || error}</p>}
      <div class="table-wrap">
        <table>
          <thead><tr><th>Name</th><th>Mode</th><th>Registry</th><th>Repositories</th><th>Destination namespace</th><th>Trigger</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {items.map((p) => {
              const push = (p.src_registry?.id ?? 0) === 0;
              return (
                <tr key={p.id}>
                  <td>{p.name}</td>
                  <td>{push ? "Push" : "Pull"}</td>
                  <td>{push ? p.dest_registry?.name : p.src_registry?.name}</td>
                  <td>{filter(p, "name") || "all"}</td>
                  <td>{p.dest_namespace}</td>
                  <td>{p.trigger.type}</td>
                  <td class="row-actions">
                    <button class="small" aria-label={`Replicate ${p.name}`}
                      onClick={() => void act(async () => {
                        await api.request("POST", "/api/v2.0/replication/executions", { policy_id: p.id });
                        setSelected(p.id);
                      })}>Replicate</button>
                    <button class="secondary small" aria-label={`Executions of ${p.name}`} onClick={() => setSelected(p.id)}>Executions</button>
                    <button class="danger small" aria-label={`Delete rule ${p.name}`} onClick={() => setDeleting(p)}>Delete</button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {items.length === 0 && policies.data && <p class="muted">No replication rules yet.</p>}
      {selected !== null && <Executions policy={items.find((p) => p.id === selected)} />}
      {creating && <NewRuleDialog onClose={(created) => { setCreating(false); if (created) policies.reload(); }} />}
      {deleting && (
        <ConfirmDialog title={`Delete rule ${deleting.name}?`} confirm="Delete"
          message="Its executions and their logs go too. Nothing already copied is removed."
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.request("DELETE", `/api/v2.0/replication/policies/${deleting.id}`);
            setDeleting(null);
            policies.reload();
          }} />
      )}
    </section>
  );
}

function Executions(props: { policy?: ReplicationPolicy }) {
  const id = props.policy?.id ?? 0;
  const executions = useLoad(() => api.page<Execution>(`/api/v2.0/replication/executions?policy_id=${id}&page_size=10`), [id]);
  const [log, setLog] = useState<{ title: string; text: string } | null>(null);
  const [tasks, setTasks] = useState<{ execution: number; items: Task[] } | null>(null);
  const { error, act } = useAction(executions.reload);
  if (!props.policy) return null;
  return (
    <div>
      <header class="page-head">
        <h2>Executions of {props.policy.name}</h2>
        <button class="secondary small" onClick={executions.reload}>Refresh</button>
      </header>
      {(executions.error || error) && <p class="error" role="alert">{executions.error || error}</p>}
      <div class="table-wrap">
        <table>
          <thead><tr><th>ID</th><th>Status</th><th>Trigger</th><th>Started</th><th>Succeeded</th><th>Failed</th><th>Total</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {(executions.data?.items ?? []).map((e) => (
              <tr key={e.id}>
                <td>{e.id}</td>
                <td title={e.status_text}>{e.status}</td>
                <td>{e.trigger}</td>
                <td>{new Date(e.start_time).toLocaleString()}</td>
                <td>{e.succeed}</td>
                <td>{e.failed}</td>
                <td>{e.total}</td>
                <td class="row-actions">
                  <button class="secondary small" aria-label={`Tasks of execution ${e.id}`}
                    onClick={async () => setTasks({ execution: e.id, items: (await api.page<Task>(`/api/v2.0/replication/executions/${e.id}/tasks?page_size=100`)).items })}>
                    Tasks</button>
                  {e.status === "InProgress" && (
                    <button class="danger small" aria-label={`Stop execution ${e.id}`}
                      onClick={() => void act(() => api.request("PUT", `/api/v2.0/replication/executions/${e.id}`))}>Stop</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {tasks && (
        <div class="table-wrap">
          <table aria-label={`Tasks of execution ${tasks.execution}`}>
            <thead><tr><th>Source</th><th>Destination</th><th>Status</th><th><span class="visually-hidden">Log</span></th></tr></thead>
            <tbody>
              {tasks.items.map((t) => (
                <tr key={t.id}>
                  <td>{t.src_resource}</td>
                  <td>{t.dst_resource}</td>
                  <td>{t.status}</td>
                  <td><button class="secondary small" aria-label={`Log of ${t.src_resource}`} onClick={async () => {
                    const response = await api.request("GET", `/api/v2.0/replication/executions/${tasks.execution}/tasks/${t.id}/log`);
                    setLog({ title: `Log of ${t.src_resource}`, text: await response.text() });
                  }}>Log</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {log && (
        <Dialog title={log.title} wide onClose={() => setLog(null)}>
          <pre class="log">{log.text}</pre>
          <p><button onClick={() => setLog(null)}>Close</button></p>
        </Dialog>
      )}
    </div>
  );
}

function NewRuleDialog(props: { onClose: (created: boolean) => void }) {
  const registries = useLoad(() => api.page<RegistryEndpoint>("/api/v2.0/registries?page_size=100"), []);
  const [form, setForm] = useState({
    name: "", mode: "push", registry: "", names: "", tags: "", excludeTags: "", namespace: "",
    trigger: "manual", cron: "0 0 3 * * *", override: true,
  });
  const [error, setError] = useState("");
  const set = (key: keyof typeof form, value: string | boolean) => setForm({ ...form, [key]: value });
  const text = (key: keyof typeof form, label: string, placeholder = "") => (
    <label>{label}<input value={form[key] as string} placeholder={placeholder} onInput={(e) => set(key, (e.target as HTMLInputElement).value)} /></label>
  );
  return (
    <Dialog title="New replication rule" onClose={() => props.onClose(false)}>
      <form onSubmit={async (e) => {
        e.preventDefault();
        const filters: Filter[] = [];
        if (form.names) filters.push({ type: "name", value: form.names });
        if (form.tags) filters.push({ type: "tag", value: form.tags, decoration: "matches" });
        if (form.excludeTags) filters.push({ type: "tag", value: form.excludeTags, decoration: "excludes" });
        const remote = { id: Number(form.registry) };
        try {
          await api.request("POST", "/api/v2.0/replication/policies", {
            name: form.name, enabled: true, override: form.override, filters, dest_namespace: form.namespace,
            src_registry: form.mode === "pull" ? remote : null, dest_registry: form.mode === "push" ? remote : null,
            trigger: { type: form.trigger, trigger_settings: { cron: form.trigger === "scheduled" ? form.cron : "" } },
          });
          props.onClose(true);
        } catch (err) {
          setError((err as Error).message);
        }
      }}>
        <label>Name<input required value={form.name} onInput={(e) => set("name", (e.target as HTMLInputElement).value)} /></label>
        <label>Mode
          <select value={form.mode} onChange={(e) => set("mode", (e.target as HTMLSelectElement).value)}>
            <option value="push">Push: from Berth to the registry</option>
            <option value="pull">Pull: from the registry into Berth</option>
          </select>
        </label>
        <label>Registry
          <select required aria-label="Registry" value={form.registry} onChange={(e) => set("registry", (e.target as HTMLSelectElement).value)}>
            <option value="">Choose…</option>
            {(registries.data?.items ?? []).map((r) => <option key={r.id} value={String(r.id)}>{r.name} ({r.url})</option>)}
          </select>
        </label>
        {text("names", "Repositories (a pattern, empty: all)", "project/**")}
        {text("tags", "Tags to copy (a pattern, empty: all)", "v*")}
        {text("excludeTags", "Tags to leave out (a pattern)", "*-rc*")}
        {text("namespace", "Destination namespace (empty: the same names)")}
        <label>Trigger
          <select value={form.trigger} onChange={(e) => set("trigger", (e.target as HTMLSelectElement).value)}>
            <option value="manual">Manual</option>
            <option value="scheduled">Scheduled</option>
            <option value="event_based">On push (push mode)</option>
          </select>
        </label>
        {form.trigger === "scheduled" && text("cron", "Schedule (cron, with seconds)")}
        <label class="inline"><input type="checkbox" checked={form.override} onChange={(e) => set("override", (e.target as HTMLInputElement).checked)} />
          Overwrite tags that point elsewhere at the destination</label>
        <FormActions submit="Create" error={error} onCancel={() => props.onClose(false)} />
      </form>
    </Dialog>
  );
}
