// The pager under a server-side listing: "21-40 of 95", previous and next.
import { pageCount, rangeLabel } from "../lib/listing";

export function Pager(props: { total: number; page: number; pageSize: number; onPage: (page: number) => void }) {
  const pages = pageCount(props.total, props.pageSize);
  return (
    <nav class="pager" aria-label="Pages">
      <span>{rangeLabel(props.total, props.page, props.pageSize)}</span>
      <button class="secondary" disabled={props.page <= 1} onClick={() => props.onPage(props.page - 1)}>Previous</button>
      <button class="secondary" disabled={props.page >= pages} onClick={() => props.onPage(props.page + 1)}>Next</button>
    </nav>
  );
}
