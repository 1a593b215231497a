import { describe, expect, it } from "vitest";
import { describeRule, immutabilityRule, retentionRule } from "./policies";

const all = { repositories: "", repositoriesExcluded: false, tags: "", tagsExcluded: false };

describe("policies", () => {
  it("builds Harbor's immutability rule from patterns", () => {
    expect(immutabilityRule({ repositories: "app", repositoriesExcluded: false, tags: "v*", tagsExcluded: true })).toEqual({
      disabled: false,
      action: "immutable",
      template: "immutable_template",
      tag_selectors: [{ kind: "doublestar", decoration: "excludes", pattern: "v*" }],
      scope_selectors: { repository: [{ kind: "doublestar", decoration: "repoMatches", pattern: "app" }] },
    });
  });

  it("names a retention template's number after it, and takes everything when no pattern is given", () => {
    const rule = retentionRule("latestPushedK", 3, all, true);
    expect(rule.params).toEqual({ latestPushedK: 3 });
    expect(rule.tag_selectors[0]).toEqual({ kind: "doublestar", decoration: "matches", pattern: "**", extras: '{"untagged":true}' });
    expect(retentionRule("always", 3, all, false).params).toEqual({});
  });

  it("describes a rule in words", () => {
    expect(describeRule(retentionRule("nDaysSinceLastPush", 7, { ...all, repositories: "web/**" }, true))).toBe(
      "retain the artifacts pushed within the last 7 days: repositories matching web/**, tags matching ** (untagged too)",
    );
    expect(describeRule(immutabilityRule({ ...all, tags: "release-*" }))).toBe("immutable: repositories matching **, tags matching release-*");
  });
});
