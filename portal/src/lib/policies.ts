// Harbor's rule shapes for tag immutability and tag retention, built from what a person picks:
// doublestar patterns for repositories and tags, and a retention template with its number.
export interface Selector {
  kind: string;
  decoration: string;
  pattern: string;
  extras?: string;
}

export interface PolicyRule {
  id?: number;
  priority?: number;
  disabled?: boolean;
  action: string;
  template: string;
  params?: Record<string, number>;
  tag_selectors: Selector[];
  scope_selectors: { repository: Selector[] };
}

export interface PatternChoice {
  repositories: string;
  repositoriesExcluded: boolean;
  tags: string;
  tagsExcluded: boolean;
}

function selectors(choice: PatternChoice, untagged?: boolean): Pick<PolicyRule, "tag_selectors" | "scope_selectors"> {
  const tag: Selector = { kind: "doublestar", decoration: choice.tagsExcluded ? "excludes" : "matches", pattern: choice.tags.trim() || "**" };
  if (untagged !== undefined) tag.extras = JSON.stringify({ untagged });
  return {
    tag_selectors: [tag],
    scope_selectors: {
      repository: [{ kind: "doublestar", decoration: choice.repositoriesExcluded ? "repoExcludes" : "repoMatches", pattern: choice.repositories.trim() || "**" }],
    },
  };
}

export function immutabilityRule(choice: PatternChoice): PolicyRule {
  return { disabled: false, action: "immutable", template: "immutable_template", ...selectors(choice) };
}

// Harbor's five retention templates; all but "always" take a number, named like the template.
export const RETENTION_TEMPLATES = [
  ["latestPushedK", "retain the most recently pushed # artifacts"],
  ["latestPulledN", "retain the most recently pulled # artifacts"],
  ["nDaysSinceLastPush", "retain the artifacts pushed within the last # days"],
  ["nDaysSinceLastPull", "retain the artifacts pulled within the last # days"],
  ["always", "retain always"],
] as const;

export function retentionRule(template: string, count: number, choice: PatternChoice, untagged: boolean): PolicyRule {
  return {
    disabled: false,
    action: "retain",
    template,
    params: template === "always" ? {} : { [template]: count },
    ...selectors(choice, untagged),
  };
}

// One line a person reads: "retain the most recently pushed 10 artifacts, repositories matching
// **, tags matching ** (untagged too)".
export function describeRule(rule: PolicyRule): string {
  const words = new Map<string, string>(RETENTION_TEMPLATES);
  const count = rule.params?.[rule.template];
  const what = rule.action === "immutable" ? "immutable" : (words.get(rule.template) ?? rule.template).replace("#", String(count ?? ""));
  const repo = rule.scope_selectors.repository[0];
  const tag = rule.tag_selectors[0];
  const untagged = tag?.extras ? (JSON.parse(tag.extras) as { untagged?: boolean }).untagged : false;
  const repoText = repo ? `repositories ${repo.decoration === "repoExcludes" ? "excluding" : "matching"} ${repo.pattern}` : "all repositories";
  const tagText = tag ? `tags ${tag.decoration === "excludes" ? "excluding" : "matching"} ${tag.pattern}` : "all tags";
  return `${what}: ${repoText}, ${tagText}${untagged ? " (untagged too)" : ""}`;
}
