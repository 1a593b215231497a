// A project's audit log (Harbor's /projects/{p}/logs), newest first, filtered and paged by the server.
import { AuditLogTable } from "../admin/AuditLogTable";

export function LogsTab(props: { name: string }) {
  return <AuditLogTable path={`/api/v2.0/projects/${encodeURIComponent(props.name)}/logs`} />;
}
