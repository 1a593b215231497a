// The query of an audit-log listing: Harbor's q terms for the filters a person sets, newest first.
export interface AuditFilters {
  username: string;
  resourceType: string;
  operation: string;
  from: string; // yyyy-mm-dd, the first day included; "" for no bound
  to: string; // yyyy-mm-dd, the last day included
}

export function auditQuery(filters: AuditFilters, page: number, pageSize: number): string {
  const terms: string[] = [];
  if (filters.username.trim()) terms.push(`username=~${filters.username.trim()}`);
  if (filters.resourceType.trim()) terms.push(`resource_type=~${filters.resourceType.trim()}`);
  if (filters.operation) terms.push(`operation=${filters.operation}`);
  if (filters.from || filters.to) {
    const from = filters.from ? `${filters.from} 00:00:00` : "";
    const to = filters.to ? `${filters.to} 23:59:59` : "";
    terms.push(`op_time=[${from}~${to}]`);
  }
  const params = new URLSearchParams({ page: String(page), page_size: String(pageSize), sort: "-op_time" });
  if (terms.length) params.set("q", terms.join(","));
  return params.toString();
}
