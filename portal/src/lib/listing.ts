// Server-side listings: the query string of a Harbor listing (page, page_size, q, sort) and
// the arithmetic of its pages. Nothing here downloads a whole list.

export interface ListingState {
  page: number; // 1-based
  pageSize: number;
  search: string; // matched as a substring of the name (Harbor's q=name=~...)
  sort: string; // a field, "-" first for descending; "" for the server's order
}

export function listingQuery(state: ListingState): string {
  const params = new URLSearchParams();
  params.set("page", String(Math.max(1, Math.floor(state.page))));
  params.set("page_size", String(Math.max(1, Math.floor(state.pageSize))));
  const search = state.search.trim();
  if (search) params.set("q", `name=~${search}`);
  if (state.sort) params.set("sort", state.sort);
  return params.toString();
}

export function pageCount(total: number, pageSize: number): number {
  if (total <= 0 || pageSize <= 0) return 1;
  return Math.ceil(total / pageSize);
}

// "21-40 of 95", or "0 items".
export function rangeLabel(total: number, page: number, pageSize: number): string {
  if (total <= 0) return "0 items";
  const first = (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return `${first}-${last} of ${total}`;
}

// Clicking a column: ascending first, then descending, then ascending again.
export function nextSort(current: string, field: string): string {
  return current === field ? `-${field}` : field;
}

// Bytes as Harbor's portal shows them (binary units, one decimal).
export function humanSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
