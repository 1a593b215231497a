// One project: its name, access and quota, and Harbor's tabs (summary, repositories, members,
// robot accounts, policy, webhooks, configuration, logs). The tab is part of the address (/projects/p/members).
import { api } from "../../api/client";
import type { Project, ProjectSummary } from "../../api/types";
import { Link } from "../../components/Link";
import { humanSize } from "../../lib/listing";
import { useLoad } from "../../lib/useLoad";
import { ConfigurationTab } from "./ConfigurationTab";
import { LogsTab } from "./LogsTab";
import { MembersTab } from "./MembersTab";
import { PolicyTab } from "./PolicyTab";
import { RepositoriesTab } from "./RepositoriesTab";
import { RobotsTab } from "./RobotsTab";
import { WebhooksTab } from "./WebhooksTab";

const TABS = [
  ["summary", "Summary"],
  ["repositories", "Repositories"],
  ["members", "Members"],
  ["robots", "Robot accounts"],
  ["policy", "Policy"],
  ["webhooks", "Webhooks"],
  ["configuration", "Configuration"],
  ["logs", "Logs"],
] as const;

export function ProjectPage(props: { name: string; tab?: string }) {
  const tab = props.tab ?? "repositories";
  const project = useLoad(
    () => api.json<Project>("GET", `/api/v2.0/projects/${encodeURIComponent(props.name)}?with_detail=true`),
    [props.name],
  );
  const base = `/projects/${encodeURIComponent(props.name)}`;
  const p = project.data;

  // The tabs that need only the project's name load alongside the project, not after it.
  let body;
  if (tab === "repositories") body = <RepositoriesTab name={props.name} />;
  else if (tab === "members") body = <MembersTab name={props.name} />;
  else if (tab === "logs") body = <LogsTab name={props.name} />;
  else if (project.error) body = <p class="error" role="alert">{project.error}</p>;
  else if (!p) body = <p class="muted">Loading…</p>;
  else if (tab === "summary") body = <SummaryTab project={p} />;
  else if (tab === "robots") body = <RobotsTab project={p} />;
  else if (tab === "policy") body = <PolicyTab project={p} onChanged={project.reload} />;
  else if (tab === "webhooks") body = <WebhooksTab project={p} />;
  else if (tab === "configuration") body = <ConfigurationTab project={p} onSaved={project.reload} />;
  else body = <p role="alert">This project has no tab "{tab}".</p>;

  return (
    <section>
      <p class="crumbs"><Link href="/projects">Projects</Link> /</p>
      <header class="page-head">
        <h1>{props.name}</h1>
        {p && <span class="badge">{p.metadata?.public === "true" ? "Public" : "Private"}</span>}
      </header>
      <nav class="tabs" aria-label="Project">
        {TABS.map(([id, label]) => (
          <Link key={id} href={`${base}/${id}`} current={id === tab}>{label}</Link>
        ))}
      </nav>
      {body}
    </section>
  );
}

function SummaryTab(props: { project: Project }) {
  const summary = useLoad(
    () => api.json<ProjectSummary & { project_admin_count?: number; developer_count?: number; maintainer_count?: number; guest_count?: number }>(
      "GET", `/api/v2.0/projects/${encodeURIComponent(props.project.name)}/summary`),
    [props.project.name],
  );
  const s = summary.data;
  const hard = s?.quota?.hard?.storage ?? -1;
  return (
    <div>
      {summary.error && <p class="error" role="alert">{summary.error}</p>}
      {s && (
        <dl class="facts">
          <dt>Repositories</dt>
          <dd>{s.repo_count ?? 0}</dd>
          <dt>Members</dt>
          <dd>{(s.project_admin_count ?? 0) + (s.maintainer_count ?? 0) + (s.developer_count ?? 0) + (s.guest_count ?? 0)}</dd>
          <dt>Storage used</dt>
          <dd>{humanSize(s.quota?.used?.storage ?? 0)} of {hard < 0 ? "unlimited" : humanSize(hard)}</dd>
          <dt>Created</dt>
          <dd>{props.project.creation_time ? new Date(props.project.creation_time).toLocaleString() : ""}</dd>
        </dl>
      )}
    </div>
  );
}
