// The administration pages that are one panel each: system robot accounts, the audit log,
// vulnerability scanning (database, scan all, the system CVE allowlist), job queues, and the
// system's settings (what it runs, garbage collection).
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import { ScheduleForm } from "../../components/ScheduleForm";
import { humanSize } from "../../lib/listing";
import { useAction } from "../../lib/useAction";
import { useLoad } from "../../lib/useLoad";
import { RobotAccounts } from "../robots/RobotAccounts";
import { AuditLogTable } from "./AuditLogTable";

export function SystemRobotsPage() {
  return (
    <section>
      <header class="page-head"><h1>System robot accounts</h1></header>
      <RobotAccounts />
    </section>
  );
}

export function AuditLogPage() {
  return (
    <section>
      <header class="page-head"><h1>Audit log</h1></header>
      <AuditLogTable path="/api/v2.0/audit-logs" />
    </section>
  );
}

interface VulnDb {
  version?: string;
  updated_at?: string;
  sources?: { name: string; location?: string; vulnerabilities?: number; package_advisories?: number; imported_at?: string }[];
}

interface ScanMetrics {
  total?: number;
  completed?: number;
  ongoing?: boolean;
}

export function ScanningPage() {
  const db = useLoad(() => api.json<VulnDb>("GET", "/api/v2.0/vulndb"), []);
  const metrics = useLoad(() => api.json<ScanMetrics>("GET", "/api/v2.0/scans/all/metrics"), []);
  const [message, setMessage] = useState("");
  return (
    <section>
      <header class="page-head"><h1>Vulnerability scanning</h1></header>
      <h2>Vulnerability database</h2>
      {db.error && <p class="error" role="alert">{db.error}</p>}
      {db.data && (
        <>
          <dl class="facts">
            <dt>Version</dt><dd>{db.data.version ?? ""}</dd>
            <dt>Updated</dt><dd>{db.data.updated_at ? new Date(db.data.updated_at).toLocaleString() : "never"}</dd>
          </dl>
          <div class="table-wrap">
            <table>
              <thead><tr><th>Source</th><th class="num">Vulnerabilities</th><th class="num">Package advisories</th><th>Imported</th></tr></thead>
              <tbody>
                {(db.data.sources ?? []).map((s) => (
                  <tr key={s.name}>
                    <td>{s.name} <span class="muted mono">{s.location ?? ""}</span></td>
                    <td class="num">{s.vulnerabilities ?? 0}</td>
                    <td class="num">{s.package_advisories ?? 0}</td>
                    <td>{s.imported_at ? new Date(s.imported_at).toLocaleString() : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <div class="toolbar">
        <button onClick={() => api.request("POST", "/api/v2.0/vulndb/update")
          .then(() => { setMessage("Database update started."); db.reload(); })
          .catch((e: Error) => setMessage(e.message))}>Update the database now</button>
      </div>
      {message && <p role="status">{message}</p>}
      <h2>Scan all artifacts</h2>
      {metrics.data && (
        <p>Last run: {metrics.data.completed ?? 0} of {metrics.data.total ?? 0} scanned{metrics.data.ongoing ? " (running)" : ""}.</p>
      )}
      <ScheduleForm path="/api/v2.0/system/scanAll/schedule" label="Scan all" />
      <h2>System CVE allowlist</h2>
      <AllowlistForm />
    </section>
  );
}

function AllowlistForm() {
  const list = useLoad(() => api.json<{ items?: { cve_id: string }[] }>("GET", "/api/v2.0/system/CVEAllowlist"), []);
  const [text, setText] = useState<string | null>(null);
  const [message, setMessage] = useState("");
  const shown = text ?? (list.data?.items ?? []).map((i) => i.cve_id).join("\n");
  return (
    <form onSubmit={async (e) => {
      e.preventDefault();
      try {
        const items = shown.split(/[\s,]+/).filter(Boolean).map((cve_id) => ({ cve_id }));
        await api.request("PUT", "/api/v2.0/system/CVEAllowlist", { items });
        setMessage("Saved.");
        list.reload();
      } catch (err) {
        setMessage((err as Error).message);
      }
    }}>
      <label>Allowed CVEs in every project that uses the system list (one per line)
        <textarea rows={4} value={shown} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      </label>
      {list.error && <p class="error" role="alert">{list.error}</p>}
      {message && <p role="status">{message}</p>}
      <button type="submit">Save allowlist</button>
    </form>
  );
}

interface Queue {
  job_type: string;
  count: number;
  latency: number;
  paused: boolean;
  running?: number;
}

export function JobsPage() {
  const queues = useLoad(() => api.json<Queue[]>("GET", "/api/v2.0/jobservice/queues"), []);
  const { error, act: change } = useAction(queues.reload);
  const act = (queue: string, action: string) =>
    change(() => api.request("PUT", `/api/v2.0/jobservice/queues/${encodeURIComponent(queue)}`, { action }));
  return (
    <section>
      <header class="page-head"><h1>Job queues</h1><button class="secondary" onClick={queues.reload}>Refresh</button></header>
      {(queues.error || error) && <p class="error" role="alert">{queues.error || error}</p>}
      <div class="table-wrap">
        <table>
          <thead><tr><th>Job type</th><th class="num">Queued</th><th class="num">Running</th><th class="num">Waited (s)</th><th>State</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {(queues.data ?? []).map((q) => (
              <tr key={q.job_type}>
                <td>{q.job_type}</td>
                <td class="num">{q.count}</td>
                <td class="num">{q.running ?? 0}</td>
                <td class="num">{q.latency}</td>
                <td>{q.paused ? "Paused" : "Running"}</td>
                <td class="row-actions">
                  <button class="secondary small" aria-label={`${q.paused ? "Resume" : "Pause"} ${q.job_type}`} onClick={() => void act(q.job_type, q.paused ? "resume" : "pause")}>{q.paused ? "Resume" : "Pause"}</button>
                  <button class="danger small" aria-label={`Stop the queued ${q.job_type} jobs`} onClick={() => void act(q.job_type, "stop")}>Stop queued</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

interface SystemInfo {
  harbor_version?: string;
  registry_url?: string;
  auth_mode?: string;
  plan?: { name?: string; storage_limit?: number; storage_used?: number; parallel_requests?: number; scanning?: boolean };
  [key: string]: unknown;
}

interface GcRun {
  id: number;
  job_status?: string;
  creation_time?: string;
  update_time?: string;
  schedule?: { type?: string };
}

export function SettingsPage() {
  const info = useLoad(() => api.json<SystemInfo>("GET", "/api/v2.0/systeminfo"), []);
  const runs = useLoad(() => api.page<GcRun>("/api/v2.0/system/gc?page=1&page_size=10&sort=-creation_time"), []);
  const plan = info.data?.plan;
  return (
    <section>
      <header class="page-head"><h1>System settings</h1></header>
      {info.error && <p class="error" role="alert">{info.error}</p>}
      {info.data && (
        <dl class="facts">
          <dt>Version</dt><dd>{info.data.harbor_version ?? ""}</dd>
          <dt>Registry address</dt><dd>{info.data.registry_url ?? window.location.host}</dd>
          <dt>Authentication</dt><dd>{info.data.auth_mode ?? ""}</dd>
          <dt>Who may create projects</dt><dd>{info.data.project_creation_restriction === "adminonly" ? "administrators only" : "every user"}</dd>
          {plan && <><dt>Plan</dt><dd>{plan.name ?? ""}</dd></>}
          {plan && plan.storage_limit !== undefined && (
            <><dt>Storage</dt><dd>{humanSize(plan.storage_used ?? 0)} of {plan.storage_limit < 0 ? "unlimited" : humanSize(plan.storage_limit)}</dd></>
          )}
          {plan && plan.parallel_requests !== undefined && (
            <><dt>Parallel requests</dt><dd>{plan.parallel_requests <= 0 ? "unlimited" : plan.parallel_requests}</dd></>
          )}
          {plan && plan.scanning !== undefined && <><dt>Scanning</dt><dd>{plan.scanning ? "included" : "not in this plan"}</dd></>}
        </dl>
      )}
      <h2>Garbage collection</h2>
      <ScheduleForm path="/api/v2.0/system/gc/schedule" label="Collect garbage" runBody={{ parameters: { delete_untagged: false, dry_run: false } }} />
      {runs.error && <p class="error" role="alert">{runs.error}</p>}
      <div class="table-wrap">
        <table>
          <thead><tr><th>Run</th><th>Trigger</th><th>Status</th><th>Started</th><th>Updated</th></tr></thead>
          <tbody>
            {(runs.data?.items ?? []).map((r) => (
              <tr key={r.id}>
                <td>{r.id}</td>
                <td>{r.schedule?.type ?? ""}</td>
                <td>{r.job_status ?? ""}</td>
                <td>{r.creation_time ? new Date(r.creation_time).toLocaleString() : ""}</td>
                <td>{r.update_time ? new Date(r.update_time).toLocaleString() : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
