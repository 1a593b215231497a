// A project's audit log (Harbor's /projects/{p}/logs), newest first, filtered and paged by the server.
import type { Project } from "../../api/types";
import { AuditLogTable } from "../admin/AuditLogTable";

export function LogsTab(props: { project: Project }) {
  return <AuditLogTable path={`/api/v2.0/projects/${encodeURIComponent(props.project.name)}/logs`} />;
}
