// A scan's findings as a bar by severity, with the counts in words for everyone who cannot see it.
import type { ScanOverview } from "../api/types";
import { severitySegments } from "../lib/artifacts";

export function SeverityBar(props: { overview: ScanOverview | undefined }) {
  const o = props.overview;
  if (!o || !o.scan_status) return <span class="muted">Not scanned</span>;
  if (o.scan_status !== "Success") return <span>{o.scan_status === "Error" ? "Scan failed" : `Scan ${o.scan_status.toLowerCase()}`}</span>;
  const segments = severitySegments(o);
  if (segments.length === 0) return <span>No vulnerabilities</span>;
  const words = segments.map((s) => `${s.count} ${s.severity}`).join(", ");
  return (
    <span class="stack">
      <span class="sevbar" aria-hidden="true">
        {segments.map((s) => <span key={s.severity} class={`sev-${s.severity}`} style={{ width: `${s.percent}%` }} />)}
      </span>
      <span>{o.summary?.total ?? 0} total: {words}</span>
    </span>
  );
}
