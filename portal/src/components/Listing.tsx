// The pieces every server-side listing shares: its search box and its sortable column headers.
import type { ListingState } from "../lib/listing";
import { nextSort } from "../lib/listing";

// A search field that sends the listing back to its first page as the user types.
export function SearchBox(props: { label: string; value: string; onSearch: (text: string) => void }) {
  return (
    <input type="search" aria-label={props.label} placeholder={props.label} value={props.value}
      onInput={(e) => props.onSearch((e.target as HTMLInputElement).value)} />
  );
}

// A column header that sorts the listing by `field`: ascending first, then descending.
export function SortHeader(props: {
  state: ListingState;
  onChange: (state: ListingState) => void;
  field: string;
  label: string;
  numeric?: boolean;
}) {
  const { state, field } = props;
  return (
    <th class={props.numeric ? "num" : undefined}
      aria-sort={state.sort === field ? "ascending" : state.sort === `-${field}` ? "descending" : "none"}>
      <button class="link" onClick={() => props.onChange({ ...state, sort: nextSort(state.sort, field), page: 1 })}>{props.label}</button>
    </th>
  );
}
