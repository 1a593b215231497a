// A project's tag policies: immutability rules (tags that cannot be overwritten or deleted) and
// the tag retention policy (which artifacts to keep; run now, dry run, and its runs).
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { Project } from "../../api/types";
import { describeRule, immutabilityRule, retentionRule, RETENTION_TEMPLATES, type PatternChoice, type PolicyRule } from "../../lib/policies";
import { useAction } from "../../lib/useAction";
import { useLoad } from "../../lib/useLoad";

function Patterns(props: { value: PatternChoice; onChange: (v: PatternChoice) => void }) {
  const v = props.value;
  return (
    <div class="toolbar">
      <label>
        Repositories
        <select value={v.repositoriesExcluded ? "excluding" : "matching"} onChange={(e) => props.onChange({ ...v, repositoriesExcluded: (e.target as HTMLSelectElement).value === "excluding" })}>
          <option value="matching">matching</option>
          <option value="excluding">excluding</option>
        </select>
      </label>
      <label>Repository pattern<input placeholder="** (all)" value={v.repositories} onInput={(e) => props.onChange({ ...v, repositories: (e.target as HTMLInputElement).value })} /></label>
      <label>
        Tags
        <select value={v.tagsExcluded ? "excluding" : "matching"} onChange={(e) => props.onChange({ ...v, tagsExcluded: (e.target as HTMLSelectElement).value === "excluding" })}>
          <option value="matching">matching</option>
          <option value="excluding">excluding</option>
        </select>
      </label>
      <label>Tag pattern<input placeholder="** (all)" value={v.tags} onInput={(e) => props.onChange({ ...v, tags: (e.target as HTMLInputElement).value })} /></label>
    </div>
  );
}

const NO_PATTERNS: PatternChoice = { repositories: "", repositoriesExcluded: false, tags: "", tagsExcluded: false };

export function PolicyTab(props: { project: Project & { metadata?: { retention_id?: string } }; onChanged: () => void }) {
  return (
    <div>
      <h2>Tag immutability</h2>
      <ImmutabilityRules project={props.project.name} />
      <h2>Tag retention</h2>
      <Retention project={props.project} onCreated={props.onChanged} />
    </div>
  );
}

function ImmutabilityRules(props: { project: string }) {
  const path = `/api/v2.0/projects/${encodeURIComponent(props.project)}/immutabletagrules`;
  const rules = useLoad(() => api.json<PolicyRule[]>("GET", `${path}?page=1&page_size=15`), [path]);
  const [choice, setChoice] = useState(NO_PATTERNS);
  const { error, act } = useAction(rules.reload);
  return (
    <div>
      <p class="muted">A tag a rule selects cannot be pushed again to another artifact, moved or deleted.</p>
      <ul>
        {(rules.data ?? []).map((r) => (
          <li key={r.id}>
            {describeRule(r)}{r.disabled ? " (disabled)" : ""}{" "}
            <span class="row-actions">
              <button class="secondary small" onClick={() => act(() => api.request("PUT", `${path}/${r.id}`, { ...r, disabled: !r.disabled }))}>
                {r.disabled ? "Enable" : "Disable"}
              </button>
              <button class="danger small" aria-label={`Delete the immutability rule ${describeRule(r)}`} onClick={() => act(() => api.request("DELETE", `${path}/${r.id}`))}>Delete</button>
            </span>
          </li>
        ))}
      </ul>
      {rules.data?.length === 0 && <p class="muted">No immutability rules.</p>}
      <form aria-label="New immutability rule" onSubmit={(e) => { e.preventDefault(); void act(() => api.request("POST", path, immutabilityRule(choice))).then((ok) => ok && setChoice(NO_PATTERNS)); }}>
        <Patterns value={choice} onChange={setChoice} />
        <button type="submit">Add immutability rule</button>
      </form>
      {(rules.error || error) && <p class="error" role="alert">{rules.error || error}</p>}
    </div>
  );
}

interface RetentionPolicy {
  id: number;
  algorithm: string;
  rules: PolicyRule[];
  trigger: { kind: string; settings: { cron?: string } };
  scope: { level: string; ref: number };
}

interface Execution {
  id: number;
  status: string;
  trigger?: string;
  dry_run: boolean;
  start_time?: string;
  end_time?: string;
}

function Retention(props: { project: Project & { metadata?: { retention_id?: string } }; onCreated: () => void }) {
  const id = props.project.metadata?.retention_id;
  const policy = useLoad(() => (id ? api.json<RetentionPolicy>("GET", `/api/v2.0/retentions/${id}`) : Promise.resolve(null)), [id]);
  const runs = useLoad(
    () => (id ? api.page<Execution>(`/api/v2.0/retentions/${id}/executions?page=1&page_size=10`) : Promise.resolve({ items: [], total: 0 })),
    [id],
  );
  const [template, setTemplate] = useState("latestPushedK");
  const [count, setCount] = useState("10");
  const [untagged, setUntagged] = useState(true);
  const [choice, setChoice] = useState(NO_PATTERNS);
  const [error, setError] = useState("");
  const [message, setMessage] = useState("");

  async function save(rules: PolicyRule[]) {
    setError("");
    setMessage("");
    try {
      if (policy.data) {
        await api.request("PUT", `/api/v2.0/retentions/${policy.data.id}`, { ...policy.data, rules });
        policy.reload();
      } else {
        await api.request("POST", "/api/v2.0/retentions", {
          algorithm: "or",
          rules,
          trigger: { kind: "Schedule", settings: { cron: "" } },
          scope: { level: "project", ref: props.project.project_id },
        });
        props.onCreated();
      }
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function run(dryRun: boolean) {
    if (!policy.data) return;
    setError("");
    try {
      await api.request("POST", `/api/v2.0/retentions/${policy.data.id}/executions`, { dry_run: dryRun });
      setMessage(dryRun ? "Dry run started." : "Retention run started.");
      for (let i = 0; i < 40; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const latest = await api.page<Execution>(`/api/v2.0/retentions/${policy.data.id}/executions?page=1&page_size=1`);
        if (latest.items[0] && !["Pending", "Running", "Scheduled"].includes(latest.items[0].status)) break;
      }
      runs.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  const rules = policy.data?.rules ?? [];
  const needsCount = template !== "always";
  return (
    <div>
      <p class="muted">In the repositories a rule covers, artifacts that no rule retains are deleted when the policy runs.</p>
      <ul>
        {rules.map((r, i) => (
          <li key={i}>
            {describeRule(r)}{" "}
            <button class="danger small" aria-label={`Delete the retention rule ${describeRule(r)}`} onClick={() => void save(rules.filter((_, j) => j !== i))}>Delete</button>
          </li>
        ))}
      </ul>
      {rules.length === 0 && <p class="muted">No retention rules.</p>}
      <form aria-label="New retention rule" onSubmit={(e) => {
        e.preventDefault();
        const n = Number(count);
        if (needsCount && (!Number.isInteger(n) || n < 0)) {
          setError("The number must be a whole number.");
          return;
        }
        void save([...rules, retentionRule(template, n, choice, untagged)]);
      }}>
        <div class="toolbar">
          <label>
            Rule
            <select value={template} onChange={(e) => setTemplate((e.target as HTMLSelectElement).value)}>
              {RETENTION_TEMPLATES.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
            </select>
          </label>
          {needsCount && <label>Number (#)<input inputMode="numeric" value={count} onInput={(e) => setCount((e.target as HTMLInputElement).value)} /></label>}
          <label class="inline"><input type="checkbox" checked={untagged} onChange={(e) => setUntagged((e.target as HTMLInputElement).checked)} />Untagged artifacts too</label>
        </div>
        <Patterns value={choice} onChange={setChoice} />
        <button type="submit">Add retention rule</button>
      </form>
      {policy.data && (
        <div class="toolbar">
          <button class="secondary" onClick={() => void run(true)}>Dry run</button>
          <button class="danger" onClick={() => void run(false)}>Run now</button>
        </div>
      )}
      {(policy.error || runs.error || error) && <p class="error" role="alert">{policy.error || runs.error || error}</p>}
      {message && <p role="status">{message}</p>}
      {(runs.data?.items.length ?? 0) > 0 && (
        <div class="table-wrap">
          <table aria-label="Retention runs">
            <thead><tr><th>Run</th><th>Status</th><th>Dry run</th><th>Trigger</th><th>Started</th><th>Ended</th></tr></thead>
            <tbody>
              {runs.data?.items.map((x) => (
                <tr key={x.id}>
                  <td>{x.id}</td>
                  <td>{x.status}</td>
                  <td>{x.dry_run ? "yes" : "no"}</td>
                  <td>{x.trigger ?? ""}</td>
                  <td>{x.start_time ? new Date(x.start_time).toLocaleString() : ""}</td>
                  <td>{x.end_time && !x.end_time.startsWith("0001") ? new Date(x.end_time).toLocaleString() : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
