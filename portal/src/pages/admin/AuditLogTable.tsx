// An audit log (the system's or one project's), newest first: filtered by user, resource type,
// operation and a time range, paged by the server.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { AuditLog } from "../../api/types";
import { Pager } from "../../components/Pager";
import { auditQuery, type AuditFilters } from "../../lib/audit";
import { useLoad } from "../../lib/useLoad";

const OPERATIONS = ["", "create", "update", "delete", "pull", "push", "login", "logout"];

export function AuditLogTable(props: { path: string }) {
  const [filters, setFilters] = useState<AuditFilters>({ username: "", resourceType: "", operation: "", from: "", to: "" });
  const [page, setPage] = useState(1);
  const listing = useLoad(
    () => api.page<AuditLog>(`${props.path}?${auditQuery(filters, page, 20)}`),
    [props.path, filters, page],
  );
  const set = (patch: Partial<AuditFilters>) => {
    setFilters({ ...filters, ...patch });
    setPage(1);
  };
  const logs = listing.data?.items ?? [];
  return (
    <div>
      <div class="toolbar">
        <label>User<input type="search" value={filters.username} onInput={(e) => set({ username: (e.target as HTMLInputElement).value })} /></label>
        <label>Resource type<input type="search" value={filters.resourceType} onInput={(e) => set({ resourceType: (e.target as HTMLInputElement).value })} /></label>
        <label>
          Operation
          <select value={filters.operation} onChange={(e) => set({ operation: (e.target as HTMLSelectElement).value })}>
            {OPERATIONS.map((o) => <option key={o} value={o}>{o || "any"}</option>)}
          </select>
        </label>
        <label>From<input type="date" value={filters.from} onInput={(e) => set({ from: (e.target as HTMLInputElement).value })} /></label>
        <label>To<input type="date" value={filters.to} onInput={(e) => set({ to: (e.target as HTMLInputElement).value })} /></label>
      </div>
      {listing.error && <p class="error" role="alert">{listing.error}</p>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr><th>Time</th><th>User</th><th>Operation</th><th>Resource type</th><th>Resource</th></tr>
          </thead>
          <tbody>
            {logs.map((l) => (
              <tr key={l.id}>
                <td>{new Date(l.op_time).toLocaleString()}</td>
                <td>{l.username}</td>
                <td>{l.operation}</td>
                <td>{l.resource_type}</td>
                <td class="mono">{l.resource}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!listing.loading && logs.length === 0 && <p class="muted">No log entries match.</p>}
      <Pager total={listing.data?.total ?? 0} page={page} pageSize={20} onPage={setPage} />
    </div>
  );
}
