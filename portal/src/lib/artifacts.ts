// What the artifact pages compute from Harbor's shapes: platforms of an index, the severity bar of
// a scan overview, the pull commands a user copies, and filtering and sorting of a report.
import type { Artifact, ScanOverview, Vulnerability } from "../api/types";

export const REPORT_TYPE = "application/vnd.security.vulnerability.report; version=1.1";
export const SEVERITIES = ["Critical", "High", "Medium", "Low", "Unknown"] as const;
export type Severity = (typeof SEVERITIES)[number];

// "linux/amd64" for each image of an index (in its order), or the image's own platform.
export function platforms(artifact: Artifact): string[] {
  const named = (p?: { os?: string; architecture?: string; variant?: string }) =>
    p && p.os && p.architecture ? [p.os, p.architecture, p.variant].filter(Boolean).join("/") : "";
  if (artifact.references?.length) return artifact.references.map((r) => named(r.platform)).filter(Boolean);
  const own = named(artifact.extra_attrs as { os?: string; architecture?: string; variant?: string } | undefined);
  return own ? [own] : [];
}

export function overviewOf(artifact: Artifact): ScanOverview | undefined {
  return artifact.scan_overview?.[REPORT_TYPE];
}

export interface SeveritySegment {
  severity: Severity;
  count: number;
  percent: number;
}

// The non-empty severities of a finished scan, most severe first, with their share of the total.
export function severitySegments(overview: ScanOverview | undefined): SeveritySegment[] {
  const counts = overview?.summary?.summary ?? {};
  const total = SEVERITIES.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  if (total === 0) return [];
  return SEVERITIES.filter((s) => (counts[s] ?? 0) > 0).map((s) => ({
    severity: s,
    count: counts[s] ?? 0,
    percent: Math.round(((counts[s] ?? 0) * 1000) / total) / 10,
  }));
}

// The reference a person would pull: host/project/repository@digest, or :tag.
export function pullCommand(host: string, repository: string, reference: string): string {
  const separator = reference.includes(":") ? "@" : ":"; // a tag never holds ':'; a digest always does
  return `podman pull ${host}/${repository}${separator}${reference}`;
}

const RANK: Record<string, number> = { Critical: 5, High: 4, Medium: 3, Low: 2, Negligible: 1, Unknown: 0, None: 0 };

export function severityRank(severity: string): number {
  return RANK[severity] ?? 0;
}

export type VulnerabilitySort = "severity" | "id" | "package" | "score";

// The findings whose CVE, package or versions contain `text` (case-insensitive), at least `minimum`
// severe, ordered by `sort` (most severe or highest score first; names alphabetically).
export function selectVulnerabilities(
  all: Vulnerability[],
  text: string,
  minimum: string,
  sort: VulnerabilitySort,
): Vulnerability[] {
  const needle = text.trim().toLowerCase();
  const floor = minimum ? severityRank(minimum) : -1;
  const kept = all.filter((v) => {
    if (severityRank(v.severity) < floor) return false;
    if (!needle) return true;
    return [v.id, v.package, v.version, v.fix_version ?? ""].some((field) => field.toLowerCase().includes(needle));
  });
  const score = (v: Vulnerability) => v.preferred_cvss?.score_v3 ?? v.preferred_cvss?.score_v2 ?? -1;
  const byName = (a: string, b: string) => a.localeCompare(b);
  const order: Record<VulnerabilitySort, (a: Vulnerability, b: Vulnerability) => number> = {
    severity: (a, b) => severityRank(b.severity) - severityRank(a.severity) || byName(a.id, b.id),
    id: (a, b) => byName(a.id, b.id) || byName(a.package, b.package),
    package: (a, b) => byName(a.package, b.package) || byName(a.id, b.id),
    score: (a, b) => score(b) - score(a) || byName(a.id, b.id),
  };
  return [...kept].sort(order[sort]);
}

// Harbor puts a repository's name into a path encoded twice ("a/b" -> "a%252Fb").
export function repositoryPath(project: string, repository: string): string {
  const inside = repository.startsWith(`${project}/`) ? repository.slice(project.length + 1) : repository;
  return `/api/v2.0/projects/${encodeURIComponent(project)}/repositories/${encodeURIComponent(encodeURIComponent(inside))}`;
}
